// ctnn_denoise's tiling (tiling.hpp): the tile plan covers every pixel with a tile in which it
// lies at least the margin from any inner edge, and for every model whose receptive field fits
// in the margin the tiled result equals one pass of the same weights over the whole image.
//
// Tolerance of the equality: 1e-6 on outputs of about [0, 1] (a few float ulps). Every used
// output value is computed from exactly the inputs the whole-image pass uses, through kernels
// whose reduction order does not depend on the image width or the position of the tile, so the
// values are the same floats; the blend then divides a weighted sum of equal values by the sum
// of the weights in double and rounds to float, which may move the last bit. (Measured: 0, the
// outputs are bit-identical.) The images and tiles are small (at most 96 x 96, tiles of 32 and
// 64) so the test stays cheap under AddressSanitizer.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/noise2noise.hpp"
#include "ctnn/models/unet.hpp"
#include "tiling.hpp"

using namespace ctnn;
using n2n::Resized;
using n2n::RgbPlanes;
using n2n::TileGeometry;

namespace {

constexpr double tolerance = 1e-6;

/// A smooth colour picture plus Gaussian noise of sigma 0.1, clamped to [0, 1] (what the
/// denoiser sees).
RgbPlanes noisy_picture(int h, int w, unsigned seed) {
  RgbPlanes p(h, w);
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        p(c, y, x) =
            std::clamp(float(0.5 + 0.35 * std::sin(0.13 * x + c) * std::cos(0.09 * y)) + noise(rng),
                       0.0f, 1.0f);
  return p;
}

/// One pass of `net` (whose input is the image's size) over the whole image.
template <class Net>
RgbPlanes whole_pass(Net& net, const RgbPlanes& img) {
  Batch<typename Net::input_shape, float> x(1);
  std::copy(img.data.begin(), img.data.end(), x.data());
  const auto& y = net.forward(x);
  RgbPlanes out(img.height, img.width);
  std::copy(y.data(), y.data() + out.data.size(), out.data.begin());
  return out;
}

double max_abs_difference(const RgbPlanes& a, const RgbPlanes& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.data.size(); ++i)
    d = std::max(d, std::abs(double(a.data[i]) - double(b.data[i])));
  return d;
}

/// Copies `from`'s weights (and buffers) into `to` through a checkpoint, as ctnn_denoise
/// loads one checkpoint into the model at two sizes.
template <class From, class To>
void copy_weights(From& from, To& to, const std::string& tag) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("ctnn_test_tiling_" + tag + "_" + std::to_string(::getpid()) + ".safetensors");
  io::save_weights(from, path);
  io::load_weights(to, path);
  std::filesystem::remove(path);
}

/// Tiles of `Tile` vs one pass of `Whole` (the same layers at the image's size) on an image of
/// Whole's size; returns the largest difference.
template <class Tile, class Whole>
double tiled_vs_whole(Tile& tile, Whole& whole, TileGeometry g, unsigned seed) {
  const RgbPlanes img = noisy_picture(Whole::input_shape::height, Whole::input_shape::width, seed);
  return max_abs_difference(n2n::run_tiled(tile, img, g, 4), whole_pass(whole, img));
}

}  // namespace

TEST_CASE("plan_axis: aligned origins, the last flush with the end, every pixel used", "[tiling]") {
  for (const TileGeometry g : {n2n::course_geometry, n2n::upsample_geometry, n2n::dncnn_geometry,
                               n2n::unet_geometry, TileGeometry{16, 32}}) {
    for (const int tile : {32, 64, 128, 256}) {
      if (tile % g.align != 0) continue;
      for (int size = tile; size <= 3 * tile + 70; size += g.align) {
        INFO("margin " << g.margin << ", align " << g.align << ", tile " << tile << ", size "
                       << size);
        const n2n::AxisPlan plan = n2n::plan_axis(size, tile, g);
        REQUIRE(!plan.origins.empty());
        CHECK(plan.origins.front() == 0);
        CHECK(plan.origins.back() == size - tile);
        CHECK(plan.exact == (tile - 2 * g.margin >= g.align));
        if (plan.exact) CHECK(plan.margin == g.margin);
        std::vector<double> total(std::size_t(size), 0.0);
        for (std::size_t k = 0; k < plan.origins.size(); ++k) {
          const int o = plan.origins[k];
          if (plan.exact) CHECK(o % g.align == 0);
          if (k > 0) CHECK(o > plan.origins[k - 1]);
          const auto w = n2n::axis_weights(plan, size, tile, o);
          for (int i = 0; i < tile; ++i) {
            total[std::size_t(o + i)] += w[std::size_t(i)];
            // Nothing within the margin of an edge inside the axis is used.
            const bool near_inner_edge =
                (o > 0 && i < plan.margin) || (o + tile < size && tile - 1 - i < plan.margin);
            if (near_inner_edge) CHECK(w[std::size_t(i)] == 0.0);
          }
        }
        CHECK(std::all_of(total.begin(), total.end(), [](double t) { return t > 0.0; }));
      }
    }
  }
}

TEST_CASE("pad_reflect mirrors without repeating the edge, as numpy's mode 'reflect'", "[tiling]") {
  RgbPlanes p(2, 3);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x)
        p(c, y, x) = float(100 * c + 10 * y + x);
  const RgbPlanes q = n2n::pad_reflect(p, 5, 7);
  // numpy.pad(a, ((0, 3), (0, 4)), "reflect") rows 0 1 0 1 0, columns 0 1 2 1 0 1 2.
  const int rows[5] = {0, 1, 0, 1, 0}, cols[7] = {0, 1, 2, 1, 0, 1, 2};
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 7; ++x)
        CHECK(q(c, y, x) == p(c, rows[y], cols[x]));
  const RgbPlanes r = n2n::pad_to_multiple(p, 4);
  CHECK((r.height == 4 && r.width == 4));
}

TEST_CASE("the course's models: 32x32 tiles equal one pass over a 72x100 image", "[tiling]") {
  // 72 x 100 is no multiple of the tile (the last tile is flush with the end) and a multiple of
  // 4 (the upsampling model's strides). margin - 1 is not enough: the margin is needed.
  SECTION("initial") {
    models::InitialDenoiser<> tile{Seed{3}};
    Resized<models::InitialDenoiser<>, 72, 100> whole{Seed{0}};
    copy_weights(tile, whole, "initial");
    CHECK(tiled_vs_whole(tile, whole, n2n::course_geometry, 1) <= tolerance);
    CHECK(tiled_vs_whole(tile, whole, TileGeometry{3, 1}, 1) > 1e-3);
  }
  SECTION("final") {
    models::FinalDenoiser<> tile{Seed{4}};
    Resized<models::FinalDenoiser<>, 72, 100> whole{Seed{0}};
    copy_weights(tile, whole, "final");
    CHECK(tiled_vs_whole(tile, whole, n2n::course_geometry, 2) <= tolerance);
    CHECK(tiled_vs_whole(tile, whole, TileGeometry{3, 1}, 2) > 1e-3);
  }
  SECTION("upsample") {
    models::UpsampleDenoiser<> tile{Seed{5}};
    Resized<models::UpsampleDenoiser<>, 72, 100> whole{Seed{0}};
    copy_weights(tile, whole, "upsample");
    CHECK(tiled_vs_whole(tile, whole, n2n::upsample_geometry, 3) <= tolerance);
    CHECK(tiled_vs_whole(tile, whole, TileGeometry{6, 4}, 3) > 1e-3);
  }
}

TEST_CASE("DnCNN in evaluation mode: 64x64 tiles equal one pass over a 64x96 image", "[tiling]") {
  models::DnCNN<64, 64> tile{Seed{6}};
  models::DnCNN<64, 96> whole{Seed{0}};
  // Running statistics away from PyTorch's initial 0 and 1, so evaluation mode matters.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mean(-0.1f, 0.1f), var(0.5f, 2.0f);
  for (auto& b : tile.buffers()) {
    if (b.is_integer()) continue;
    const bool is_var = b.name.find("running_var") != std::string::npos;
    for (std::size_t i = 0; i < b.size; ++i)
      b.value[i] = is_var ? var(rng) : mean(rng);
  }
  copy_weights(tile, whole, "dncnn");
  tile.eval();
  whole.eval();
  // Tile origins 0, 30, 32 along the width: a step of 64 - 2 x 17, then one flush with the end.
  CHECK(tiled_vs_whole(tile, whole, n2n::dncnn_geometry, 4) <= tolerance);
}

TEST_CASE("U-Net: tiles on the whole image's pooling grid; exact where the context fits",
          "[tiling]") {
  // No margin holds the U-Net's receptive field (over 300 pixels), so for trained weights the
  // tiled result differs from a whole-image pass by what lies beyond the margin
  // (docs/denoise.md gives measured numbers). What the tiling guarantees is checked here
  // exactly: with enc_conv2's weights zeroed (and every bias 0, as Kaiming-normal
  // initialisation leaves them), levels 2 to 5 output zeros, and what remains (enc_conv0,
  // enc_conv1, pool1, dec_conv2, dec_conv2b, upsample1 and the three last convs) sees about 12
  // pixels around each output. Tiles of 64 at multiples of 32 with a margin of 16 then give
  // exactly the whole-image pass.
  models::UNet<64, 64> tile{Seed{8}, Init::kaiming_normal};
  models::UNet<96, 96> whole{Seed{0}};
  int weights = 0;
  for (auto& p : tile.parameters()) {
    if (p.shape.size() == 4 && ++weights == 3) std::fill(p.value, p.value + p.size, 0.0f);
    if (p.shape.size() == 1)
      REQUIRE(std::all_of(p.value, p.value + p.size, [](float v) { return v == 0.0f; }));
  }
  REQUIRE(weights == 18);
  copy_weights(tile, whole, "unet");
  CHECK(tiled_vs_whole(tile, whole, TileGeometry{16, 32}, 5) <= tolerance);
  // A margin of 4 is less than that context: the test can tell.
  CHECK(tiled_vs_whole(tile, whole, TileGeometry{4, 32}, 5) > 1e-3);
}
