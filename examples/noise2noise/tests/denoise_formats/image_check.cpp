// The image side of example.noise2noise_denoise_formats (denoise_formats.sh runs it):
//
//   image_check make DIR       writes one 100x70 picture (not a multiple of the 32x32 tiles) in
//                              every kind ctnn_denoise reads: gray, gray + alpha, RGB, RGBA at 8
//                              and 16 bits, the gray picture as RGB, and a JPEG; and a noisy
//                              260x140 picture (big.png, denoised in 128x128 tiles) with its
//                              top-left 250x100 (bigcrop.png, too low for them: 32x32 tiles)
//   image_check check IN OUT MIN_PSNR
//                              checks ctnn_denoise's outputs in OUT against the inputs in IN
//   image_check format IN_FILE OUT_FILE
//                              checks one output's format and alpha (a 100x70 input)
//
// What `check` asserts, each of which a broken tool fails:
// - format: every output is a PNG (read from its bytes: signature and IHDR) of the input's
//   size, channels and bit depth; a JPEG's output is 8-bit RGB;
// - alpha: copied sample for sample;
// - the plumbing, exactly up to quantisation, whatever the network: the same picture as RGBA
//   and as RGB gives the same colour samples (alpha does not reach the network); as 16-bit
//   (each sample x 257) and as 8-bit RGB it gives outputs within half a step of each format
//   (the network sees the same floats: v / 255 == 257 v / 65535); as gray and as three equal
//   RGB channels, a gray output within 1 (8-bit) of the mean of the three RGB outputs (the
//   documented mean, and each output rounded once); the JPEG's output equals that of its
//   decoded pixels saved as PNG;
// - tiles: big's and bigcrop's outputs are equal sample for sample more than 16 pixels (more
//   than a course model's receptive field) from bigcrop's cut edges: both are a whole-image
//   pass, whatever the tile size (tiles misplaced, seams or a wrong margin break it);
// - quality: the clean picture denoised stays within MIN_PSNR dB of itself (denoise_formats.sh
//   says why that bound).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <stb/stb_image_write.h>

#include "ctnn/io/image.hpp"

namespace fs = std::filesystem;
using ctnn::io::Image;

namespace {

constexpr std::size_t H = 70, W = 100;

int failures = 0;
void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
  if (!ok) ++failures;
}

/// A smooth colour picture like the tiny training set's (make_tiny_data.py: 0.5 + 0.35 sin cos,
/// frequencies 0.05 to 0.4 per pixel), each channel with its own frequencies, in [0, 1].
double picture(std::size_t y, std::size_t x, std::size_t c) {
  static const double f[3][4] = {
      {0.11, 0.07, 0.3, 1.2}, {0.23, 0.05, 2.0, 0.4}, {0.06, 0.17, 4.1, 2.7}};
  return 0.5 +
         0.35 * std::sin(f[c][0] * double(x) + f[c][2]) * std::cos(f[c][1] * double(y) + f[c][3]);
}

Image make(std::size_t channels, int depth, bool gray_picture) {
  Image img(H, W, channels, depth);
  const std::size_t colours = channels >= 3 ? 3 : 1;
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x) {
      for (std::size_t c = 0; c < colours; ++c) {
        // 8-bit values, then x 257 for 16 bits: the same picture at both depths.
        const double v = gray_picture ? (picture(y, x, 0) + picture(y, x, 1) + picture(y, x, 2)) / 3
                                      : picture(y, x, c);
        const auto v8 = std::uint16_t(std::lround(v * 255));
        img(y, x, c) = depth == 16 ? std::uint16_t(v8 * 257) : v8;
      }
      if (img.has_alpha())  // every value of the range, in no order a network would keep
        img(y, x, channels - 1) =
            std::uint16_t((y * 7919 + x * 104729) % (std::size_t(img.max_value()) + 1));
    }
  return img;
}

struct Ihdr {
  bool png = false;
  std::size_t width = 0, height = 0;
  int bit_depth = 0, colour_type = -1;
};
Ihdr read_ihdr(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
  Ihdr h;
  if (b.size() < 33 || std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) != 0 ||
      std::memcmp(b.data() + 12, "IHDR", 4) != 0)
    return h;
  auto be32 = [&](std::size_t at) {
    return std::size_t(b[at]) << 24 | std::size_t(b[at + 1]) << 16 | std::size_t(b[at + 2]) << 8 |
           std::size_t(b[at + 3]);
  };
  return {true, be32(16), be32(20), b[24], b[25]};
}

/// The output's format: a PNG of the input's size, with `channels` and `depth`.
bool check_format(const fs::path& out, std::size_t channels, int depth) {
  static const int colour_type[] = {-1, 0, 4, 2, 6};
  const Ihdr h = read_ihdr(out);
  const bool ok = h.png && h.width == W && h.height == H && h.bit_depth == depth &&
                  h.colour_type == colour_type[channels];
  check(ok, out.filename().string() + " is a " + std::to_string(W) + "x" + std::to_string(H) +
                " PNG, " + std::to_string(depth) + "-bit, colour type " +
                std::to_string(colour_type[channels]) + " (" + std::to_string(channels) +
                " channels)" +
                (ok ? ""
                    : ": found " + std::string(h.png ? "" : "no PNG, ") + std::to_string(h.width) +
                          "x" + std::to_string(h.height) + ", " + std::to_string(h.bit_depth) +
                          "-bit, colour type " + std::to_string(h.colour_type)));
  return ok;
}

/// The largest |a - b| over the first `colours` channels, each sample divided by its image's
/// max_value().
double max_difference(const Image& a, const Image& b, std::size_t colours) {
  double d = 0;
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      for (std::size_t c = 0; c < colours; ++c)
        d = std::max(
            d, std::abs(double(a(y, x, c)) / a.max_value() - double(b(y, x, c)) / b.max_value()));
  return d;
}

bool same_channel(const Image& a, std::size_t ca, const Image& b, std::size_t cb) {
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      if (a(y, x, ca) != b(y, x, cb)) return false;
  return true;
}

double psnr(const Image& a, const Image& b) {
  double se = 0;
  for (std::size_t i = 0; i < a.samples().size(); ++i) {
    const double d = double(a.data()[i]) / a.max_value() - double(b.data()[i]) / b.max_value();
    se += d * d;
  }
  return 10 * std::log10(1.0 / (se / double(a.samples().size())));
}

/// The tiles check's pictures: the colour picture over 260 x 140 with noise of +-25 levels (a
/// fixed hash, so the network has something to remove), and its top-left 250 x 100.
constexpr std::size_t big_h = 140, big_w = 260, crop_h = 100, crop_w = 250;
Image make_big(std::size_t h, std::size_t w) {
  Image img(h, w, 3, 8);
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x)
      for (std::size_t c = 0; c < 3; ++c) {
        const std::size_t hash = (y * 7919 + x * 104729 + c * 15485863) * 2654435761u % 51;
        const long v = std::lround(picture(y, x, c) * 255) + long(hash) - 25;
        img(y, x, c) = std::uint16_t(std::clamp(v, 0L, 255L));
      }
  return img;
}

int make_inputs(const fs::path& dir) {
  fs::create_directories(dir);
  ctnn::io::write_image(dir / "big.png", make_big(big_h, big_w));
  ctnn::io::write_image(dir / "bigcrop.png", make_big(crop_h, crop_w));
  for (int depth : {8, 16}) {
    const std::string d = std::to_string(depth);
    ctnn::io::write_image(dir / ("rgb" + d + ".png"), make(3, depth, false));
    ctnn::io::write_image(dir / ("rgba" + d + ".png"), make(4, depth, false));
    ctnn::io::write_image(dir / ("gray" + d + ".png"), make(1, depth, true));
    ctnn::io::write_image(dir / ("ga" + d + ".png"), make(2, depth, true));
  }
  ctnn::io::write_image(dir / "grayrgb8.png", make(3, 8, true));  // the gray picture, as RGB
  // A JPEG of the colour picture (stb_image_write: baseline), and its decoded pixels as a PNG.
  const Image rgb = make(3, 8, false);
  std::vector<unsigned char> px(rgb.samples().begin(), rgb.samples().end());
  if (!stbi_write_jpg((dir / "photo.jpg").c_str(), int(W), int(H), 3, px.data(), 90)) {
    std::fprintf(stderr, "image_check: cannot write %s\n", (dir / "photo.jpg").c_str());
    return 1;
  }
  ctnn::io::write_image(dir / "photo_decoded.png", ctnn::io::read_image(dir / "photo.jpg"));
  return 0;
}

int check_outputs(const fs::path& in, const fs::path& out, double min_psnr) {
  auto output = [&](const std::string& name) { return out / (name + "_denoised.png"); };
  // Format, and alpha copied.
  for (const char* name : {"rgb8", "rgba8", "gray8", "ga8", "rgb16", "rgba16", "gray16", "ga16",
                           "grayrgb8", "photo", "photo_decoded"}) {
    const Image src = ctnn::io::read_image(
        in / (std::string(name) + (name == std::string("photo") ? ".jpg" : ".png")));
    if (!check_format(output(name), src.channels(), src.bit_depth())) continue;
    const Image res = ctnn::io::read_image(output(name));
    if (src.has_alpha())
      check(same_channel(src, src.channels() - 1, res, res.channels() - 1),
            std::string(name) + ": alpha copied sample for sample");
  }
  if (failures > 0) return 1;
  auto result = [&](const std::string& name) { return ctnn::io::read_image(output(name)); };
  const Image rgb8 = result("rgb8"), rgb16 = result("rgb16"), gray8 = result("gray8"),
              gray16 = result("gray16"), grayrgb8 = result("grayrgb8");
  // Alpha does not reach the network: RGBA's colour is RGB's, sample for sample.
  for (const char* d : {"8", "16"}) {
    const Image rgba = result(std::string("rgba") + d), ga = result(std::string("ga") + d);
    const Image& rgb = d[0] == '8' ? rgb8 : rgb16;
    const Image& gray = d[0] == '8' ? gray8 : gray16;
    check(same_channel(rgba, 0, rgb, 0) && same_channel(rgba, 1, rgb, 1) &&
              same_channel(rgba, 2, rgb, 2),
          std::string("rgba") + d + ": colour equals rgb" + d + "'s output exactly");
    check(same_channel(ga, 0, gray, 0),
          std::string("ga") + d + ": gray equals gray" + d + "'s output exactly");
  }
  // 16 bits: the network sees the same floats, each output is rounded once to its own scale.
  const double half_steps = 0.5 / 255 + 0.5 / 65535 + 1e-9;
  const double d_rgb = max_difference(rgb8, rgb16, 3), d_gray = max_difference(gray8, gray16, 1);
  check(d_rgb <= half_steps, "rgb16 vs rgb8 outputs: max difference " + std::to_string(d_rgb) +
                                 " <= " + std::to_string(half_steps) + " (quantisation)");
  check(d_gray <= half_steps, "gray16 vs gray8 outputs: max difference " + std::to_string(d_gray) +
                                  " <= " + std::to_string(half_steps));
  // 16-bit outputs use the 16 bits: not every sample a multiple of 257.
  std::size_t fine = 0;
  for (std::size_t i = 0; i < rgb16.samples().size(); ++i)
    fine += rgb16.data()[i] % 257 != 0;
  check(fine > rgb16.samples().size() / 2,
        "rgb16's output has 16-bit precision (" + std::to_string(fine) + " of " +
            std::to_string(rgb16.samples().size()) + " samples not a multiple of 257)");
  // Gray is the mean of the three outputs of the gray picture given as RGB.
  double d_mean = 0;
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      d_mean = std::max(
          d_mean,
          std::abs(double(gray8(y, x, 0)) -
                   (double(grayrgb8(y, x, 0)) + grayrgb8(y, x, 1) + grayrgb8(y, x, 2)) / 3));
  check(d_mean <= 1.0 + 1e-9, "gray8's output vs the mean of grayrgb8's three outputs: max " +
                                  std::to_string(d_mean) + " <= 1 (two roundings)");
  // A JPEG is denoised as its decoded pixels.
  check(result("photo").samples() == result("photo_decoded").samples(),
        "photo.jpg's output equals that of its decoded pixels saved as PNG");
  // Tiles: 128x128 tiles (big) and 32x32 tiles (bigcrop) give the same whole-image pass.
  const Image big = result("big"), crop = result("bigcrop");
  const bool sizes = big.height() == big_h && big.width() == big_w && crop.height() == crop_h &&
                     crop.width() == crop_w && big.channels() == 3 && crop.channels() == 3;
  check(sizes, "big and bigcrop outputs: 260x140 and 250x100 RGB");
  if (sizes) {
    std::size_t differ = 0, compared = 0;
    for (std::size_t y = 0; y + 16 < crop_h; ++y)
      for (std::size_t x = 0; x + 16 < crop_w; ++x)
        for (std::size_t c = 0; c < 3; ++c, ++compared)
          differ += big(y, x, c) != crop(y, x, c);
    check(differ == 0,
          "big (128x128 tiles) and bigcrop (32x32 tiles) outputs equal away from "
          "the crop's edges: " +
              std::to_string(differ) + " of " + std::to_string(compared) + " samples differ");
  }
  // Quality: the clean picture comes back close to itself.
  const Image clean8 = make(3, 8, false), clean16 = make(3, 16, false);
  const double p8 = psnr(rgb8, clean8), p16 = psnr(rgb16, clean16);
  check(p8 >= min_psnr, "rgb8: PSNR of the denoised clean picture " + std::to_string(p8) +
                            " dB >= " + std::to_string(min_psnr) + " dB");
  check(p16 >= min_psnr,
        "rgb16: PSNR " + std::to_string(p16) + " dB >= " + std::to_string(min_psnr) + " dB");
  const Image gray_clean = make(1, 8, true);
  const double pg = psnr(gray8, gray_clean);
  check(pg >= min_psnr,
        "gray8: PSNR " + std::to_string(pg) + " dB >= " + std::to_string(min_psnr) + " dB");
  return failures > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "make" && argc == 3) return make_inputs(argv[2]);
    if (mode == "format" && argc == 4) {  // one 100x70 input's output: format and alpha
      const Image src = ctnn::io::read_image(argv[2]);
      if (check_format(argv[3], src.channels(), src.bit_depth()) && src.has_alpha()) {
        const Image res = ctnn::io::read_image(argv[3]);
        check(same_channel(src, src.channels() - 1, res, res.channels() - 1),
              "alpha copied sample for sample");
      }
      return failures > 0 ? 1 : 0;
    }
    if (mode == "check" && argc == 5) {
      const int rc = check_outputs(argv[2], argv[3], std::stod(argv[4]));
      std::printf("%d failed\n", failures);
      return rc;
    }
    std::fprintf(stderr,
                 "usage: image_check make DIR | image_check check IN OUT MIN_PSNR | image_check "
                 "format IN OUT\n");
    return 2;
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    return 1;
  }
}
