// libFuzzer harness for the .npy reader (tools/ci/run_fuzzers.sh builds and runs it): any bytes
// must load or be refused with an io::FileError; a crash, a hang, a sanitizer report or any
// other exception is a finding.

#include <cstdint>
#include <cstdlib>

#include "ctnn/io/npy.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = ctnn_fuzz::write_input(data, size);
  try {  // the course's uint8 N x 3 x 32 x 32 batches, as the trainer loads them
    const auto images = ctnn::io::load_image_batch(path, 3, 32, 32);
    if (images.shape()[1] != 3 || images.size() != images.shape()[0] * 3 * 32 * 32) std::abort();
  } catch (const ctnn::io::FileError&) {
  }
  try {  // any array as float: every dtype, rank and shape path
    const auto a = ctnn::io::load_npy<float>(path);
    std::size_t n = 1;
    for (const auto d : a.shape())
      n *= d;
    if (n != a.size()) std::abort();
    volatile float sink = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
      sink = sink + a.data()[i];
  } catch (const ctnn::io::FileError&) {
  }
  try {  // uint8 only (floats must be refused, not truncated)
    ctnn::io::load_npy<std::uint8_t>(path);
  } catch (const ctnn::io::FileError&) {
  }
  return 0;
}
