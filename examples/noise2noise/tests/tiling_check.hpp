#pragma once
// What the tiling tests share (test_tiling, test_tiling_models): a noisy picture, one pass over the
// whole image, copying weights through a checkpoint, and tiled-vs-whole differences.

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
#include "tiling.hpp"

namespace tiling_check {

using namespace ctnn;
using n2n::RgbPlanes;
using n2n::TileGeometry;

inline constexpr double tolerance = 1e-6;

/// A smooth colour picture plus Gaussian noise of sigma 0.1, clamped to [0, 1] (what the
/// denoiser sees).
inline RgbPlanes noisy_picture(int h, int w, unsigned seed) {
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

inline double max_abs_difference(const RgbPlanes& a, const RgbPlanes& b) {
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

/// A model of the course's (32 x 32 input), seeded with `seed`, tiled over a 72 x 100 image:
/// with the geometry `enough` the tiles equal one pass of the same weights over the whole image;
/// with `too_small` (a margin one pixel short of the receptive field) they visibly do not.
template <class Model>
void check_course_model_tiling(const std::string& tag, std::uint64_t seed, TileGeometry enough,
                               TileGeometry too_small, unsigned image_seed) {
  Model tile{Seed{seed}};
  n2n::Resized<Model, 72, 100> whole{Seed{0}};
  copy_weights(tile, whole, tag);
  CHECK(tiled_vs_whole(tile, whole, enough, image_seed) <= tolerance);
  CHECK(tiled_vs_whole(tile, whole, too_small, image_seed) > 1e-3);
}

}  // namespace tiling_check
