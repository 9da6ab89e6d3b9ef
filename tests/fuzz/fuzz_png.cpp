// libFuzzer harness for the PNG reader (tools/ci/run_fuzzers.sh builds and runs it): any bytes
// must load as 8-bit RGB or be refused with an io::FileError; a crash, a hang, a sanitizer
// report or any other exception is a finding. stb's decoder is compiled into this program
// (its implementation is in Debian's header), so the sanitizers see inside it too.

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <cstdint>
#include <cstdlib>

#include "ctnn/io/png.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = ctnn_fuzz::write_input(data, size);
  try {
    const auto img = ctnn::io::read_png_rgb(path);
    if (img.shape()[2] != 3 || img.size() > ctnn::io::max_png_pixels * 3) std::abort();
    volatile unsigned sink = 0;
    for (std::size_t i = 0; i < img.size(); ++i)
      sink = sink + img.data()[i];
  } catch (const ctnn::io::FileError&) {
  }
  return 0;
}
