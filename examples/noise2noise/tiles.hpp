#pragma once
/// \file
/// Turning photos into 32x32 training tiles: box downsampling by integer factors, cutting a
/// grid of non-overlapping tiles in the course's C x H x W layout, a flatness measure to drop
/// tiles with nothing in them (sky, out-of-focus background), and a detail measure to compare
/// tiles with the course's thumbnails.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "detail.hpp"

namespace n2n {

/// An RGB photo as decoded: height x width x 3.
using RgbImage = xt::xtensor<std::uint8_t, 3>;

/// Side of a tile, channels and bytes of one tile (the course's 3 x 32 x 32 images).
inline constexpr std::size_t tile_side = 32;
inline constexpr std::size_t tile_channels = 3;
inline constexpr std::size_t tile_bytes = tile_channels * tile_side * tile_side;

/// Averages `factor` x `factor` blocks (rounded to nearest), dropping the rows and columns
/// that do not fill a block. Box filtering is what a camera's larger pixels would do, so the
/// small image keeps photographic statistics and the sensor noise of the original averages
/// away.
inline RgbImage box_downsample(const RgbImage& image, std::size_t factor) {
  if (factor == 0) throw std::invalid_argument("box_downsample: factor must be at least 1");
  const std::size_t h = image.shape()[0] / factor, w = image.shape()[1] / factor;
  const std::size_t c = image.shape()[2], in_w = image.shape()[1];
  RgbImage out(std::array<std::size_t, 3>{h, w, c});
  const std::uint32_t area = static_cast<std::uint32_t>(factor * factor);
  // Sum `factor` input rows into `columns` (a contiguous, vectorisable loop), then sum each
  // run of `factor` pixels of that row: the whole photo is read once per factor.
  std::vector<std::uint32_t> columns(w * factor * c);
  const std::uint8_t* in = image.data();
  for (std::size_t y = 0; y < h; ++y) {
    std::fill(columns.begin(), columns.end(), 0u);
    for (std::size_t dy = 0; dy < factor; ++dy) {
      const std::uint8_t* row = in + (y * factor + dy) * in_w * c;
      for (std::size_t i = 0; i < columns.size(); ++i)
        columns[i] += row[i];
    }
    std::uint8_t* dst = out.data() + y * w * c;
    for (std::size_t x = 0; x < w; ++x)
      for (std::size_t k = 0; k < c; ++k) {
        std::uint32_t sum = 0;
        for (std::size_t dx = 0; dx < factor; ++dx)
          sum += columns[(x * factor + dx) * c + k];
        dst[x * c + k] = static_cast<std::uint8_t>((sum + area / 2) / area);
      }
  }
  return out;
}

/// The integer factors that bring a photo's short side into [min_short, max_short] pixels,
/// smallest factor (largest image) first.
inline std::vector<std::size_t> downsample_factors(std::size_t short_side, std::size_t min_short,
                                                   std::size_t max_short) {
  std::vector<std::size_t> factors;
  if (min_short == 0 || max_short < min_short) return factors;
  const std::size_t first = std::max<std::size_t>(1, (short_side + max_short - 1) / max_short);
  for (std::size_t f = first; short_side / f >= min_short; ++f)
    factors.push_back(f);
  return factors;
}

/// Number of whole tiles along a side of `length` pixels.
inline std::size_t tiles_along(std::size_t length) {
  return length / tile_side;
}

/// Appends the image's grid of non-overlapping tiles (row by row) to `out`, each as
/// 3 x 32 x 32 bytes. The grid is centred, so the leftover border is split evenly rather than
/// always cutting off the bottom and right edges. Returns the number of tiles appended.
inline std::size_t cut_tiles(const RgbImage& image, std::vector<std::uint8_t>& out) {
  const std::size_t h = image.shape()[0], w = image.shape()[1];
  if (image.shape()[2] != tile_channels)
    throw std::invalid_argument("cut_tiles: the image must have 3 channels");
  const std::size_t rows = tiles_along(h), cols = tiles_along(w);
  const std::size_t y0 = (h - rows * tile_side) / 2, x0 = (w - cols * tile_side) / 2;
  out.reserve(out.size() + rows * cols * tile_bytes);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t q = 0; q < cols; ++q) {
      const std::size_t start = out.size();
      out.resize(start + tile_bytes);
      std::uint8_t* tile = out.data() + start;
      for (std::size_t y = 0; y < tile_side; ++y) {
        const std::uint8_t* src =
            image.data() + ((y0 + r * tile_side + y) * w + x0 + q * tile_side) * tile_channels;
        for (std::size_t x = 0; x < tile_side; ++x)
          for (std::size_t k = 0; k < tile_channels; ++k)
            tile[(k * tile_side + y) * tile_side + x] = src[x * tile_channels + k];
      }
    }
  return rows * cols;
}

/// Number of orientations of a square tile: the 4 rotations, each optionally mirrored.
inline constexpr std::size_t tile_orientations = 8;

/// Copies a 3 x 32 x 32 tile in one of its 8 orientations (0 = as is): bit 0 mirrors left-right,
/// bit 1 mirrors top-bottom, bit 2 transposes. A photo's content is as plausible mirrored or
/// rotated, so a data set short of tiles can use each in several orientations.
inline void copy_tile_oriented(const std::uint8_t* src, std::uint8_t* dst,
                               std::size_t orientation) {
  const bool flip_x = (orientation & 1) != 0, flip_y = (orientation & 2) != 0,
             transpose = (orientation & 4) != 0;
  constexpr std::size_t last = tile_side - 1;
  for (std::size_t k = 0; k < tile_channels; ++k)
    for (std::size_t y = 0; y < tile_side; ++y)
      for (std::size_t x = 0; x < tile_side; ++x) {
        std::size_t sy = flip_y ? last - y : y, sx = flip_x ? last - x : x;
        if (transpose) std::swap(sy, sx);
        dst[(k * tile_side + y) * tile_side + x] = src[(k * tile_side + sy) * tile_side + sx];
      }
}

/// Standard deviation of a tile's luma (the mean of its three channels), on the 0..255 scale.
/// Near 0 for a flat tile; a tile of textured grass is around 20, a tile with an edge more.
inline double tile_luma_std(const std::uint8_t* tile) {
  constexpr std::size_t n = tile_side * tile_side;
  double sum = 0, sum_sq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double luma = (double(tile[i]) + tile[n + i] + tile[2 * n + i]) / 3.0;
    sum += luma;
    sum_sq += luma * luma;
  }
  const double mean = sum / n;
  return std::sqrt(std::max(0.0, sum_sq / n - mean * mean));
}

/// Detail of a tile: the mean absolute difference between horizontally neighbouring values plus
/// the same for vertically neighbouring values, over all channels, on the 0..255 scale. 0 for a
/// flat tile; the course's 32 x 32 thumbnails have 24.0 / 27.0 / 32.5 at the 25th / 50th / 75th
/// percentile (course_detail_quartiles).
inline double tile_detail(const std::uint8_t* tile) {
  return image_detail(tile, tile_side, tile_side);
}

/// The 25th, 50th and 75th percentile of tile_detail over `count` tiles (3 x 32 x 32 bytes each,
/// one after another), interpolated linearly between ranks as numpy's percentile does. Zeros
/// for no tiles.
inline std::array<double, 3> detail_quartiles(const std::uint8_t* tiles, std::size_t count) {
  std::vector<double> d(count);
  for (std::size_t i = 0; i < count; ++i)
    d[i] = tile_detail(tiles + i * tile_bytes);
  return {percentile(d, 0.25), percentile(d, 0.50), percentile(d, 0.75)};
}

}  // namespace n2n
