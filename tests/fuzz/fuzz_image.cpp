// libFuzzer harness for io::read_image (tools/ci/run_fuzzers.sh builds and runs it): any bytes
// must load as an image (PNG of any kind, or JPEG) whose size, channels, bit depth and samples
// agree with one another, or be refused with an io::FileError; a crash, a hang, a sanitizer
// report or any other exception is a finding. stb's decoders are compiled into this program
// (their implementation is in Debian's header), so the sanitizers see inside them too; the
// JPEG marker walk and the PNG header checks of ctnn/io/image.hpp are what stands before them.

#include <cstdint>
#include <cstdlib>

#include "ctnn/io/image.hpp"
#include "fuzz_input.hpp"

// After image.hpp (which includes stb_image.h's declarations, and png.hpp, which includes them
// again): the implementation half of the header has no include guard.
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = ctnn_fuzz::write_input(data, size);
  try {
    const auto img = ctnn::io::read_image(path);
    const std::size_t pixels = img.height() * img.width();
    if (pixels == 0 || pixels > ctnn::io::max_image_pixels || img.channels() < 1 ||
        img.channels() > 4 || (img.bit_depth() != 8 && img.bit_depth() != 16) ||
        img.samples().size() != pixels * img.channels())
      std::abort();
    volatile unsigned sink = 0;
    for (std::size_t i = 0; i < img.samples().size(); ++i) {
      if (img.data()[i] > img.max_value()) std::abort();
      sink = sink + img.data()[i];
    }
  } catch (const ctnn::io::FileError&) {
  }
  return 0;
}
