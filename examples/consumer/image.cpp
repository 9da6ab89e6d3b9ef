// A program that uses ctnn's optional image component (ctnn::image, or pkg-config's
// `ctnn stb libpng`): writes a 16-bit RGBA PNG, reads it back and checks every sample.
// Exit status 0 means all held.
#include <cstdio>
#include <filesystem>

#include <ctnn/io/image.hpp>

int main() {
  ctnn::io::Image img(6, 5, 4, 16);
  for (std::size_t i = 0; i < img.samples().size(); ++i)
    img.data()[i] = static_cast<std::uint16_t>(i * 1021 % 65536);
  const std::filesystem::path path = "consumer_image.png";  // in the working directory
  ctnn::io::write_image(path, img);
  const auto back = ctnn::io::read_image(path);
  std::filesystem::remove(path);
  if (back.channels() != 4 || back.bit_depth() != 16 || back.samples() != img.samples()) {
    std::printf("FAIL: the 16-bit RGBA PNG did not read back as written\n");
    return 1;
  }
  std::printf("OK: a 16-bit RGBA PNG written and read back\n");
  return 0;
}
