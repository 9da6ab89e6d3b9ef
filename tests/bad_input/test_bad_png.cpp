// Bad PNG files (tests/data/bad/png_*.png, written by tools/fixtures/make_bad_corpus.py): each is
// refused by io::read_png_rgb with an io::FileError whose one-line message starts with the file's
// path and names the problem. In its own program because it links stb (tests/unit/ programs link
// ctnn only).

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include <catch2/catch.hpp>

#include "ctnn/io/image.hpp"
#include "ctnn/io/png.hpp"
#include "file_error_check.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

namespace {

const fs::path bad_dir = fs::path(CTNN_TEST_DATA_DIR) / "bad";

void expect_bad_png(const fs::path& path, std::initializer_list<std::string> parts) {
  test::expect_file_error(
      path, [](const fs::path& p) { io::read_png_rgb(p); }, parts);
}

void expect_bad(const std::string& name, std::initializer_list<std::string> parts) {
  REQUIRE(fs::is_regular_file(bad_dir / name));
  expect_bad_png(bad_dir / name, parts);
}

}  // namespace

TEST_CASE("the control PNGs load", "[bad_input][png]") {
  const auto img = io::read_png_rgb(bad_dir / "png_valid_rgb_40x36.png");
  CHECK(img.shape()[0] == 36);
  CHECK(img.shape()[1] == 40);
  CHECK(img.shape()[2] == 3);
  // An empty IDAT chunk is valid (and once made stb call memcpy with a null pointer).
  const bool same = io::read_png_rgb(bad_dir / "png_empty_idat_chunk.png") == img;
  CHECK(same);
  // 16 x 16 is a valid PNG; only the denoise tool, whose networks need 32 x 32, refuses it.
  CHECK(io::read_png_rgb(bad_dir / "png_too_small_16x16.png").shape()[0] == 16);
}

TEST_CASE("bad PNG files are refused with the file and the problem", "[bad_input][png]") {
  expect_bad("png_not_a_png.png", {"not a PNG file (wrong signature)"});
  expect_bad("png_empty.png", {"not a PNG file (wrong signature)"});
  expect_bad("png_signature_only.png",
             {"cannot decode PNG (truncated or corrupt): the file ends at byte 8 without an IEND "
              "chunk"});
  expect_bad("png_truncated.png",
             {"cannot decode PNG (truncated or corrupt): chunk 'IDAT' at byte 33 claims"});
  expect_bad("png_chunk_length_past_end.png",
             {"cannot decode PNG (truncated or corrupt): chunk 'IDAT' at byte 69 claims "
              "1229278788 bytes of data, the file has 0 left"});
  expect_bad("png_short_pixels.png", {"cannot decode PNG (truncated or corrupt)"});
  expect_bad("png_corrupt_idat.png", {"cannot decode PNG (truncated or corrupt)"});
  expect_bad("png_16bit.png", {"16-bit PNG: 8 bits per channel are needed"});
  expect_bad("png_grayscale.png", {"PNG is grayscale: RGB is needed"});
  expect_bad("png_gray_alpha.png", {"PNG is grayscale with alpha: RGB is needed"});
  expect_bad("png_rgba.png", {"PNG is RGBA (it has an alpha channel): RGB is needed"});
  expect_bad("png_huge_dimensions.png",
             {"PNG header claims 60000x60000 pixels: more than the 67108864"});
  expect_bad("png_zero_width.png", {"PNG header claims 0x32 pixels: an empty image (corrupt?)"});
  expect_bad("png_empty_idat_then_corrupt.png", {"cannot decode PNG (truncated or corrupt)"});
}

TEST_CASE("missing PNGs, directories and devices are refused", "[bad_input][png][paths]") {
  expect_bad_png(bad_dir / "no_such_file.png", {"no such file"});
  expect_bad_png(bad_dir, {"is a directory, expected a PNG file"});
  expect_bad_png("/dev/null", {"is not a regular file, expected a PNG file"});
}

TEST_CASE("writing a PNG where it cannot be written leaves nothing", "[bad_input][png][paths]") {
  const fs::path dir = fs::temp_directory_path() / "ctnn_test_bad_png_write";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::uint8_t px[3] = {1, 2, 3};
  std::ofstream(dir / "plain_file") << "x";
  CHECK_THROWS_WITH(io::write_png(dir / "plain_file" / "a.png", 1, 1, 3, px),
                    Catch::Contains("plain_file/a.png: cannot write: ") &&
                        Catch::Contains("plain_file is not a directory"));
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir))
    ++n;
  CHECK(n == 1);
  fs::remove_all(dir);
}
