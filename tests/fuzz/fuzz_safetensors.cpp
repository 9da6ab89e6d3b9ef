// libFuzzer harness for the safetensors reader and the checkpoint loaders built on it
// (tools/ci/run_fuzzers.sh builds and runs it): any bytes must load or be refused with an
// io::FileError; a crash, a hang, a sanitizer report or any other exception is a finding.

#include <cstdint>
#include <cstdlib>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/safetensors.hpp"
#include "ctnn/io/training_state.hpp"
#include "fuzz_input.hpp"

namespace {
// The network of tests/unit/test_bad_input.cpp, whose state_dict the seed corpus holds.
using Tiny = ctnn::Sequential<ctnn::Input<1, 4, 4>, ctnn::Conv2d<1, 2, 3>, ctnn::ReLU,
                              ctnn::ConvTranspose2d<2, 1, 3>>;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = ctnn_fuzz::write_input(data, size);
  try {  // the container: header, offsets, and every tensor's values
    const ctnn::io::SafetensorsFile file(path);
    for (const auto& [name, entry] : file.tensors()) {
      try {
        const auto v = file.values<double>(name);
        if (v.size() != entry.numel()) std::abort();
      } catch (const ctnn::io::FileError&) {  // a dtype with no conversion (F16, BOOL, ...)
      }
    }
  } catch (const ctnn::io::FileError&) {
  }
  try {  // weights into a network: names, shapes, dtypes, NaN
    Tiny net{ctnn::Seed{0}};
    ctnn::io::load_weights(net, path);
  } catch (const ctnn::io::FileError&) {
  }
  try {  // a training checkpoint: optimizer tensors and the metadata numbers
    Tiny net{ctnn::Seed{0}};
    ctnn::Adam<float> opt(net.parameters(), {.lr = 1e-3});
    ctnn::io::load_training_state(path, net, opt);
  } catch (const ctnn::io::FileError&) {
  }
  return 0;
}
