// io::read_image and io::write_image (ctnn/io/image.hpp, the ctnn::image component): every kind
// of PNG and JPEG is written here, by ctnn's writer or by independent encoders (stb_image_write,
// libpng's own API, libjpeg for the progressive JPEG), read back and compared sample by sample;
// truncated and corrupt files are refused with an io::FileError naming the file and the problem.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include <png.h>
#include <stb/stb_image_write.h>
#include <catch2/catch.hpp>
#ifdef CTNN_TEST_HAVE_LIBJPEG
#include <jpeglib.h>
#endif

#include "ctnn/io/image.hpp"
#include "file_error_check.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

namespace {

const fs::path bad_dir = fs::path(CTNN_TEST_DATA_DIR) / "bad";

/// A fresh, empty directory for one test case's files.
fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ctnn_test_image_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<unsigned char> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

/// A pattern that uses the whole range of each channel, differs between channels (so a swap
/// shows) and between neighbours (so a transposition or an off-by-one shows): 0 and the maximum
/// appear in every channel.
io::Image pattern(std::size_t h, std::size_t w, std::size_t c, int depth) {
  io::Image img(h, w, c, depth);
  const std::uint32_t max = img.max_value();
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x)
      for (std::size_t k = 0; k < c; ++k) {
        const std::size_t i = (y * w + x) * c + k;
        img(y, x, k) = i % 7 == 0   ? std::uint16_t(0)
                       : i % 7 == 1 ? std::uint16_t(max)
                                    : std::uint16_t((i * 2654435761u + k * 977) % (max + 1));
      }
  return img;
}

/// A smooth picture (JPEG's lossy coding keeps it close): R a horizontal ramp, G a vertical one,
/// B their mix, so the channels are told apart.
std::vector<unsigned char> smooth_rgb(int w, int h, int channels) {
  std::vector<unsigned char> px(std::size_t(w * h * channels));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int v[3] = {20 + 200 * x / (w - 1), 230 - 200 * y / (h - 1),
                        40 + 80 * (x + y) / (w + h - 2)};
      for (int k = 0; k < channels; ++k)
        px[std::size_t((y * w + x) * channels + k)] =
            static_cast<unsigned char>(channels == 1 ? (v[0] + v[1]) / 2 : v[k]);
    }
  return px;
}

/// The PNG's IHDR fields, read from the file's bytes (independently of ctnn's reader).
struct Ihdr {
  std::uint32_t width, height;
  int bit_depth, colour_type;
};
Ihdr read_ihdr(const fs::path& path) {
  const auto b = read_bytes(path);
  REQUIRE(b.size() >= 33);
  REQUIRE(std::memcmp(b.data() + 12, "IHDR", 4) == 0);
  auto be32 = [&](std::size_t at) {
    return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 |
           std::uint32_t(b[at + 2]) << 8 | std::uint32_t(b[at + 3]);
  };
  return {be32(16), be32(20), b[24], b[25]};
}

/// Writes a PNG with libpng's own API, for the kinds ctnn does not write (palette, 1 to 4 bits,
/// a tRNS chunk). `rows` are in PNG's byte layout.
struct RawPng {
  RawPng(int w, int h, int depth, int type)
      : width(w), height(h), bit_depth(depth), colour_type(type) {}
  int width, height, bit_depth, colour_type;
  std::vector<std::vector<unsigned char>> rows;
  std::vector<png_color> palette;
  std::vector<png_byte> palette_alpha;  // tRNS for a palette image
  bool has_key = false;                 // tRNS colour key for a gray or RGB image
  png_color_16 key{};
};
bool write_png_with_libpng(FILE* f, RawPng& raw, std::vector<png_bytep>& rows) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, png_uint_32(raw.width), png_uint_32(raw.height), raw.bit_depth,
               raw.colour_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!raw.palette.empty()) png_set_PLTE(png, info, raw.palette.data(), int(raw.palette.size()));
  if (!raw.palette_alpha.empty())
    png_set_tRNS(png, info, raw.palette_alpha.data(), int(raw.palette_alpha.size()), nullptr);
  if (raw.has_key) png_set_tRNS(png, info, nullptr, 0, &raw.key);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}
void write_raw_png(const fs::path& path, RawPng raw) {
  std::vector<png_bytep> rows;
  for (auto& r : raw.rows)
    rows.push_back(r.data());
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  const bool ok = write_png_with_libpng(f, raw, rows);
  std::fclose(f);
  REQUIRE(ok);
}

#ifdef CTNN_TEST_HAVE_LIBJPEG
/// A baseline or progressive JPEG, through libjpeg (stb_image_write writes baseline only, and
/// always three components).
void write_jpeg_with_libjpeg(const fs::path& path, int w, int h, int channels,
                             const std::vector<unsigned char>& px, bool progressive) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = JDIMENSION(w);
  cinfo.image_height = JDIMENSION(h);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(px.data() + cinfo.next_scanline * JDIMENSION(w * channels));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}
#endif

/// `read_image(path)` throws an io::FileError whose one-line message starts with the path and
/// contains each of `parts`.
void expect_refused(const fs::path& path, std::initializer_list<std::string> parts) {
  test::expect_file_error(
      path, [](const fs::path& p) { io::read_image(p); }, parts);
}

/// The absolute differences between a decoded JPEG and its source of `c` channels (a gray
/// source is compared with each of the image's channels): {mean, max}.
std::array<double, 2> jpeg_error(const io::Image& img, const std::vector<unsigned char>& src,
                                 int c) {
  double sum = 0, max = 0;
  for (std::size_t i = 0; i < img.samples().size(); ++i) {
    const std::size_t j = c == 1 ? i / img.channels() : i;
    const double d = std::abs(double(img.data()[i]) - double(src[j]));
    sum += d;
    max = std::max(max, d);
  }
  return {sum / double(img.samples().size()), max};
}

}  // namespace

TEST_CASE("io::Image holds height x width x channels samples of 8 or 16 bits", "[image]") {
  const io::Image img(3, 5, 4, 16);
  CHECK(img.height() == 3);
  CHECK(img.width() == 5);
  CHECK(img.channels() == 4);
  CHECK(img.bit_depth() == 16);
  CHECK(img.max_value() == 65535);
  CHECK(img.has_alpha());
  CHECK(img.samples().size() == 60);
  CHECK(io::Image(1, 1, 3, 8).max_value() == 255);
  CHECK_FALSE(io::Image(1, 1, 3, 8).has_alpha());
  CHECK_THROWS_WITH(io::Image(2, 2, 5, 8), Catch::Contains("5 channels (1 to 4 are possible)"));
  CHECK_THROWS_WITH(io::Image(2, 2, 0, 8), Catch::Contains("0 channels"));
  CHECK_THROWS_WITH(io::Image(2, 2, 3, 12), Catch::Contains("bit depth 12 (8 or 16"));
}

TEST_CASE("write_image then read_image: every channel count at 8 and 16 bits", "[image][png]") {
  const auto dir = scratch("round_trip");
  // PNG colour types: 0 gray, 4 gray + alpha, 2 RGB, 6 RGBA.
  const int colour_type[] = {0, 0, 4, 2, 6};
  for (std::size_t c = 1; c <= 4; ++c)
    for (int depth : {8, 16})
      for (auto [h, w] : {std::array<std::size_t, 2>{1, 1}, {5, 7}, {33, 20}}) {
        INFO(c << " channels, " << depth << " bits, " << w << "x" << h);
        const auto img = pattern(h, w, c, depth);
        const fs::path path = dir / ("img_" + std::to_string(c) + "_" + std::to_string(depth) +
                                     "_" + std::to_string(w) + "x" + std::to_string(h) + ".png");
        io::write_image(path, img);
        // The file says what it holds (read from its bytes, not by ctnn's reader).
        const auto ihdr = read_ihdr(path);
        CHECK(ihdr.width == w);
        CHECK(ihdr.height == h);
        CHECK(ihdr.bit_depth == depth);
        CHECK(ihdr.colour_type == colour_type[c]);
        const auto back = io::read_image(path);
        CHECK(back.height() == h);
        CHECK(back.width() == w);
        CHECK(back.channels() == c);
        CHECK(back.bit_depth() == depth);
        CHECK(back.samples() == img.samples());
      }
  // Nothing but the images: no temporary file left behind.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir))
    files += e.path().extension() == ".png" ? 1 : 100;
  CHECK(files == 4 * 2 * 3);
  fs::remove_all(dir);
}

TEST_CASE("PNGs from another encoder: stb_image_write, every channel count", "[image][png]") {
  const auto dir = scratch("stb_png");
  for (int c = 1; c <= 4; ++c) {
    INFO(c << " channels");
    const auto img = pattern(9, 13, std::size_t(c), 8);
    std::vector<unsigned char> px(img.samples().begin(), img.samples().end());
    const fs::path path = dir / ("stb_" + std::to_string(c) + ".png");
    REQUIRE(stbi_write_png(path.c_str(), 13, 9, c, px.data(), 13 * c));
    const auto back = io::read_image(path);
    CHECK(back.channels() == std::size_t(c));
    CHECK(back.bit_depth() == 8);
    CHECK(back.samples() == img.samples());
  }
  fs::remove_all(dir);
}

TEST_CASE("palette, 1-bit gray and tRNS PNGs (written with libpng)", "[image][png]") {
  const auto dir = scratch("libpng");
  SECTION("a 2-bit palette image comes out as 8-bit RGB") {
    RawPng raw(4, 2, 2, PNG_COLOR_TYPE_PALETTE);
    raw.palette = {{10, 20, 30}, {40, 50, 60}, {70, 80, 90}, {250, 0, 5}};
    raw.rows = {{0b00011011}, {0b11100100}};  // indices 0 1 2 3, then 3 2 1 0
    write_raw_png(dir / "palette.png", raw);
    const auto img = io::read_image(dir / "palette.png");
    REQUIRE(img.channels() == 3);
    CHECK(img.bit_depth() == 8);
    for (std::size_t x = 0; x < 4; ++x)
      for (std::size_t k = 0; k < 3; ++k) {
        CHECK(img(0, x, k) == (k == 0   ? raw.palette[x].red
                               : k == 1 ? raw.palette[x].green
                                        : raw.palette[x].blue));
        CHECK(img(1, 3 - x, k) == img(0, x, k));
      }
  }
  SECTION("a palette image with a tRNS chunk comes out as RGBA") {
    RawPng raw(3, 1, 8, PNG_COLOR_TYPE_PALETTE);
    raw.palette = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
    raw.palette_alpha = {0, 128};  // the third entry stays opaque
    raw.rows = {{2, 1, 0}};
    write_raw_png(dir / "palette_alpha.png", raw);
    const auto img = io::read_image(dir / "palette_alpha.png");
    REQUIRE(img.channels() == 4);
    CHECK(img(0, 0, 0) == 7);
    CHECK(img(0, 0, 3) == 255);
    CHECK(img(0, 1, 1) == 5);
    CHECK(img(0, 1, 3) == 128);
    CHECK(img(0, 2, 2) == 3);
    CHECK(img(0, 2, 3) == 0);
  }
  SECTION("1-bit gray comes out as 8-bit gray, 0 and 255") {
    RawPng raw(10, 1, 1, PNG_COLOR_TYPE_GRAY);
    raw.rows = {{0b10110000, 0b01000000}};
    write_raw_png(dir / "bits.png", raw);
    const auto img = io::read_image(dir / "bits.png");
    REQUIRE(img.channels() == 1);
    CHECK(img.bit_depth() == 8);
    const int expected[10] = {255, 0, 255, 255, 0, 0, 0, 0, 0, 255};
    for (std::size_t x = 0; x < 10; ++x)
      CHECK(img(0, x, 0) == expected[x]);
  }
  SECTION("a 16-bit gray image with a colour key gains an alpha channel") {
    RawPng raw(2, 1, 16, PNG_COLOR_TYPE_GRAY);
    raw.rows = {{0x12, 0x34, 0xab, 0xcd}};  // 0x1234, 0xabcd
    raw.has_key = true;
    raw.key.gray = 0xabcd;
    write_raw_png(dir / "key16.png", raw);
    const auto img = io::read_image(dir / "key16.png");
    REQUIRE(img.channels() == 2);
    CHECK(img.bit_depth() == 16);
    CHECK(img(0, 0, 0) == 0x1234);
    CHECK(img(0, 0, 1) == 65535);
    CHECK(img(0, 1, 0) == 0xabcd);
    CHECK(img(0, 1, 1) == 0);
  }
  fs::remove_all(dir);
}

TEST_CASE("JPEGs: baseline and progressive, gray and colour", "[image][jpeg]") {
  const auto dir = scratch("jpeg");
  const int w = 48, h = 40;
  for (int c : {1, 3}) {
    const auto src = smooth_rgb(w, h, c);
    // {file, the channels it holds}. stb_image_write writes baseline JPEGs with three
    // components (YCbCr) even from gray pixels: those are read as RGB.
    std::vector<std::pair<fs::path, int>> files;
    const fs::path stb = dir / ("stb_" + std::to_string(c) + ".jpg");
    REQUIRE(stbi_write_jpg(stb.c_str(), w, h, c, src.data(), 95));
    files.emplace_back(stb, 3);
    // Named .png, read as JPEG all the same: the signature decides, not the name.
    const fs::path misnamed = dir / ("stb_" + std::to_string(c) + ".png");
    fs::copy_file(stb, misnamed);
    files.emplace_back(misnamed, 3);
#ifdef CTNN_TEST_HAVE_LIBJPEG
    for (bool progressive : {false, true}) {
      const fs::path path =
          dir / ((progressive ? "progressive_" : "baseline_") + std::to_string(c) + ".jpg");
      write_jpeg_with_libjpeg(path, w, h, c, src, progressive);
      const auto bytes = read_bytes(path);
      bool sof2 = false;  // the progressive frame header is there, or not
      for (std::size_t i = 0; i + 1 < bytes.size(); ++i)
        sof2 = sof2 || (bytes[i] == 0xFF && bytes[i + 1] == 0xC2);
      REQUIRE(sof2 == progressive);
      files.emplace_back(path, c);
    }
#else
    WARN("no libjpeg at build time: the gray and progressive JPEG cases are skipped");
#endif
    for (const auto& [path, channels] : files) {
      INFO(path.filename().string());
      const auto img = io::read_image(path);
      REQUIRE(img.height() == std::size_t(h));
      REQUIRE(img.width() == std::size_t(w));
      REQUIRE(img.channels() == std::size_t(channels));
      CHECK(img.bit_depth() == 8);
      // Lossy, but close on a smooth picture at quality 95: a swapped channel, a flipped image
      // or a wrong scale would be off by tens to hundreds.
      const auto [mean, max] = jpeg_error(img, src, c);
      INFO("mean error " << mean << ", max " << max);
      CHECK(mean < 1.5);
      CHECK(max <= 12);
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("the bad PNG corpus: structural defects refused, the formats read_png_rgb refuses load",
          "[image][png][bad_input]") {
  auto bad = [](const char* name) { return bad_dir / name; };
  expect_refused(bad("png_not_a_png.png"), {"not a PNG or JPEG file (wrong signature)"});
  expect_refused(bad("png_empty.png"), {"not a PNG or JPEG file (wrong signature)"});
  expect_refused(bad("png_signature_only.png"),
                 {"cannot decode PNG (truncated or corrupt): the file ends at byte 8 without an "
                  "IEND chunk"});
  expect_refused(bad("png_truncated.png"),
                 {"cannot decode PNG (truncated or corrupt): chunk 'IDAT' at byte 33 claims"});
  expect_refused(bad("png_chunk_length_past_end.png"),
                 {"cannot decode PNG (truncated or corrupt): chunk 'IDAT' at byte 69 claims "
                  "1229278788 bytes of data, the file has 0 left"});
  expect_refused(bad("png_short_pixels.png"), {"cannot decode PNG (truncated or corrupt)"});
  expect_refused(bad("png_corrupt_idat.png"), {"cannot decode PNG (truncated or corrupt)"});
  expect_refused(bad("png_empty_idat_then_corrupt.png"),
                 {"cannot decode PNG (truncated or corrupt)"});
  expect_refused(bad("png_huge_dimensions.png"),
                 {"PNG header claims 60000x60000 pixels: more than the 67108864 read_image "
                  "accepts (corrupt?)"});
  expect_refused(bad("png_zero_width.png"),
                 {"PNG header claims 0x32 pixels: an empty image (corrupt?)"});
  // What read_png_rgb refuses by kind, read_image reads.
  const auto rgb = io::read_image(bad("png_valid_rgb_40x36.png"));
  CHECK(rgb.channels() == 3);
  CHECK(io::read_image(bad("png_empty_idat_chunk.png")).samples() == rgb.samples());
  const auto deep = io::read_image(bad("png_16bit.png"));
  CHECK(deep.bit_depth() == 16);
  CHECK(io::read_image(bad("png_grayscale.png")).channels() == 1);
  CHECK(io::read_image(bad("png_gray_alpha.png")).channels() == 2);
  CHECK(io::read_image(bad("png_rgba.png")).channels() == 4);
}

TEST_CASE("the fuzzer's image seeds load (hand-made minimal JPEGs, palette and key PNGs)",
          "[image][jpeg][png]") {
  const fs::path dir = CTNN_FUZZ_CORPUS_DIR "/image";
  struct Seed {
    const char* name;
    std::size_t h, w, c;
    int depth;
  };
  for (const Seed& s : {Seed{"valid_gray_8x8.jpg", 8, 8, 1, 8},
                        {"valid_rgb_24x16.jpg", 16, 24, 3, 8},
                        {"valid_progressive_rgb_16x16.jpg", 16, 16, 3, 8},
                        {"valid_gray_alpha16_5x4.png", 4, 5, 2, 16},
                        {"valid_rgba16_3x3.png", 3, 3, 4, 16},
                        {"valid_rgba_6x2.png", 2, 6, 4, 8},
                        {"valid_palette_trns_4x2.png", 2, 4, 4, 8},
                        {"valid_gray1_key_10x1.png", 1, 10, 2, 8}}) {
    INFO(s.name);
    const auto img = io::read_image(dir / s.name);
    CHECK(img.height() == s.h);
    CHECK(img.width() == s.w);
    CHECK(img.channels() == s.c);
    CHECK(img.bit_depth() == s.depth);
    if (fs::path(s.name).extension() == ".jpg")  // every DCT coefficient 0: flat mid-grey
      CHECK(std::all_of(img.samples().begin(), img.samples().end(),
                        [](std::uint16_t v) { return v == 128; }));
  }
  // The palette's colours and alphas (tRNS: 0, 128, then opaque), indices 0 1 2 3 / 3 2 1 0.
  const auto pal = io::read_image(dir / "valid_palette_trns_4x2.png");
  const int expected[4][4] = {
      {10, 20, 30, 0}, {40, 50, 60, 128}, {70, 80, 90, 255}, {250, 0, 5, 255}};
  for (std::size_t x = 0; x < 4; ++x)
    for (std::size_t k = 0; k < 4; ++k) {
      CHECK(pal(0, x, k) == expected[x][k]);
      CHECK(pal(1, 3 - x, k) == expected[x][k]);
    }
  // 1-bit gray, the key (gray 1) transparent: bits 1011000001.
  const auto key = io::read_image(dir / "valid_gray1_key_10x1.png");
  const int bits[10] = {1, 0, 1, 1, 0, 0, 0, 0, 0, 1};
  for (std::size_t x = 0; x < 10; ++x) {
    CHECK(key(0, x, 0) == bits[x] * 255);
    CHECK(key(0, x, 1) == (bits[x] ? 0 : 255));
  }
}

TEST_CASE("every truncation of a PNG and of a JPEG is refused", "[image][bad_input]") {
  const auto dir = scratch("truncated");
  const auto src = smooth_rgb(24, 16, 3);
  io::Image img(16, 24, 3, 16);
  for (std::size_t i = 0; i < src.size(); ++i)
    img.data()[i] = std::uint16_t(src[i] * 257);
  io::write_image(dir / "full.png", img);
  REQUIRE(stbi_write_jpg((dir / "full.jpg").c_str(), 24, 16, 3, src.data(), 90));
  for (const char* name : {"full.png", "full.jpg"}) {
    const auto bytes = read_bytes(dir / name);
    const std::string kind = std::string(name) == "full.png" ? "PNG" : "JPEG";
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      const fs::path cut = dir / ("cut_" + std::to_string(n) + "_" + name);
      write_bytes(cut, std::vector<unsigned char>(bytes.begin(), bytes.begin() + long(n)));
      // The first bytes are the signature; after it, the structure check names the problem.
      expect_refused(cut, {n < (kind == "PNG" ? 8u : 3u)
                               ? "not a PNG or JPEG file"
                               : "cannot decode " + kind + " (truncated or corrupt)"});
      fs::remove(cut);
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("corrupt JPEG headers and unsupported kinds are named", "[image][jpeg][bad_input]") {
  const auto dir = scratch("bad_jpeg");
  const auto src = smooth_rgb(40, 30, 3);
  REQUIRE(stbi_write_jpg((dir / "good.jpg").c_str(), 40, 30, 3, src.data(), 90));
  const auto good = read_bytes(dir / "good.jpg");
  REQUIRE(io::read_image(dir / "good.jpg").width() == 40);
  // Where stb put the frame header (SOF0) and the first marker after SOI.
  std::size_t sof = 0;
  for (std::size_t i = 2; i + 1 < good.size() && !sof; ++i)
    if (good[i] == 0xFF && good[i + 1] == 0xC0) sof = i;
  REQUIRE(sof > 0);
  REQUIRE(good[2] == 0xFF);
  auto variant = [&](const std::string& name, auto&& change) {
    auto b = good;
    change(b);
    write_bytes(dir / name, b);
    return dir / name;
  };
  // SOF0: FF C0, length (2), precision (1), height (2), width (2), components (1), ...
  expect_refused(variant("huge.jpg",
                         [&](auto& b) {
                           b[sof + 5] = 0xEA, b[sof + 6] = 0x60;  // 60000
                           b[sof + 7] = 0xEA, b[sof + 8] = 0x60;
                         }),
                 {"JPEG header claims 60000x60000 pixels: more than the 67108864 read_image "
                  "accepts (corrupt?)"});
  expect_refused(variant("zero_height.jpg", [&](auto& b) { b[sof + 5] = 0, b[sof + 6] = 0; }),
                 {"JPEG header claims 40x0 pixels: an empty image (corrupt?)"});
  expect_refused(variant("arithmetic.jpg", [&](auto& b) { b[sof + 1] = 0xC9; }),
                 {"unsupported JPEG: arithmetic-coded (0xFFC9); baseline and progressive "
                  "(Huffman-coded) JPEGs are supported"});
  expect_refused(variant("lossless.jpg", [&](auto& b) { b[sof + 1] = 0xC3; }),
                 {"unsupported JPEG: lossless (0xFFC3)"});
  expect_refused(variant("twelve_bit.jpg", [&](auto& b) { b[sof + 4] = 12; }),
                 {"unsupported JPEG: 12-bit samples; 8-bit JPEGs are supported"});
  expect_refused(variant("no_sof.jpg", [&](auto& b) { b[sof + 1] = 0xE5; }),  // now an APP5
                 {"cannot decode JPEG (truncated or corrupt): a scan (SOS marker) at byte",
                  "before the frame header (SOF marker)"});
  expect_refused(
      variant("length_past_end.jpg", [&](auto& b) { b[sof + 2] = 0xFF, b[sof + 3] = 0xF0; }),
      {"cannot decode JPEG (truncated or corrupt): marker 0xFFC0 at byte " + std::to_string(sof) +
       " claims 65520 bytes, the file has"});
  expect_refused(variant("not_a_marker.jpg", [&](auto& b) { b[sof] = 0x12; }),
                 {"cannot decode JPEG (truncated or corrupt): byte " + std::to_string(sof) +
                  " should start a marker (0xFF), it is 18"});
  expect_refused(variant("no_eoi.jpg", [&](auto& b) { b.resize(b.size() - 2); }),
                 {"cannot decode JPEG (truncated or corrupt): the file ends at byte " +
                  std::to_string(good.size() - 2) + " without an EOI marker"});
  // Huffman tables (DHT: FF C4, length, then per table: class << 4 | id, 16 counts of codes by
  // length, the codes' values). stb writes its four tables in one segment.
  std::size_t dht = 0;
  for (std::size_t i = 2; i + 1 < good.size() && !dht; ++i)
    if (good[i] == 0xFF && good[i + 1] == 0xC4) dht = i;
  REQUIRE(dht > 0);
  const std::string in_dht =
      "cannot decode JPEG (truncated or corrupt): Huffman table in the "
      "DHT segment at byte " +
      std::to_string(dht) + ": ";
  expect_refused(variant("dht_class.jpg", [&](auto& b) { b[dht + 4] = 0x25; }),
                 {in_dht + "class 2, id 5 (classes 0 and 1, ids 0 to 3 exist)"});
  const std::size_t dht_end = dht + 2 + (std::size_t(good[dht + 2]) << 8 | good[dht + 3]);
  std::size_t last = dht + 4, codes = 0;
  for (std::size_t t = dht + 4; t < dht_end; t += 17 + codes) {
    last = t;
    codes = 0;
    for (std::size_t i = t + 1; i < t + 17; ++i)
      codes += good[i];
  }
  REQUIRE(codes + 10 <= 256);
  expect_refused(variant("dht_room.jpg", [&](auto& b) { b[last + 16] = b[last + 16] + 10; }),
                 {in_dht + std::to_string(codes + 10) + " codes, the segment has room for " +
                  std::to_string(codes)});
  // Found by fuzz_image: counts adding up to more than 256 codes made stb 2.27 write past its
  // tables.
  expect_refused(bad_dir / "jpg_huffman_1021_codes.jpg",
                 {"cannot decode JPEG (truncated or corrupt): Huffman table in the DHT segment at "
                  "byte 84: 1021 codes, at most 256 are possible"});
  expect_refused(bad_dir / "jpg_truncated.jpg",
                 {"cannot decode JPEG (truncated or corrupt): the file ends at byte"});
  // Bytes after EOI (some cameras append data) are ignored.
  const auto tail = variant("tail.jpg", [&](auto& b) { b.insert(b.end(), {1, 2, 3}); });
  CHECK(io::read_image(tail).samples() == io::read_image(dir / "good.jpg").samples());
  fs::remove_all(dir);
}

TEST_CASE("corrupt PNG headers are named", "[image][png][bad_input]") {
  const auto dir = scratch("bad_png_header");
  io::write_image(dir / "good.png", pattern(4, 4, 3, 8));
  const auto good = read_bytes(dir / "good.png");
  auto variant = [&](const std::string& name, std::size_t at, unsigned char value) {
    auto b = good;
    b[at] = value;
    write_bytes(dir / name, b);
    return dir / name;
  };
  // IHDR data starts at byte 16: width (4), height (4), bit depth, colour type, ...
  expect_refused(variant("depth3.png", 24, 3),
                 {"corrupt PNG header: bit depth 3 with colour type 2 is not a PNG format"});
  expect_refused(variant("colour5.png", 25, 5),
                 {"corrupt PNG header: bit depth 8 with colour type 5 is not a PNG format"});
  expect_refused(variant("not_ihdr.png", 12, 'X'),
                 {"corrupt PNG header: the first chunk is not a 13-byte IHDR"});
  fs::remove_all(dir);
}

TEST_CASE("paths that are not image files are refused", "[image][paths]") {
  expect_refused(bad_dir / "no_such_file.png", {"no such file"});
  expect_refused(bad_dir, {"is a directory, expected a PNG or JPEG file"});
  expect_refused("/dev/null", {"is not a regular file, expected a PNG or JPEG file"});
}

TEST_CASE("write_image refuses impossible samples and unwritable paths, leaving nothing",
          "[image][paths]") {
  const auto dir = scratch("bad_write");
  auto img = pattern(2, 3, 3, 8);
  img(1, 2, 1) = 256;
  CHECK_THROWS_AS(io::write_image(dir / "a.png", img), std::invalid_argument);
  CHECK_THROWS_WITH(io::write_image(dir / "a.png", img),
                    Catch::Contains("a.png: sample 256 at row 1, column 2, channel 1 is above 255 "
                                    "(8-bit image)"));
  CHECK_THROWS_WITH(io::write_image(dir / "b.png", io::Image()),
                    Catch::Contains("b.png: cannot write a 0x0 image as PNG"));
  std::ofstream(dir / "plain_file") << "x";
  CHECK_THROWS_WITH(io::write_image(dir / "plain_file" / "c.png", pattern(2, 2, 1, 16)),
                    Catch::Contains("plain_file/c.png: cannot write: ") &&
                        Catch::Contains("plain_file is not a directory"));
  // An existing file is replaced only by a complete new one.
  io::write_image(dir / "d.png", pattern(2, 2, 4, 16));
  const auto before = read_bytes(dir / "d.png");
  CHECK_THROWS(io::write_image(dir / "d.png", img));
  CHECK(read_bytes(dir / "d.png") == before);
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir))
    ++n;
  CHECK(n == 2);  // plain_file and d.png
  fs::remove_all(dir);
}
