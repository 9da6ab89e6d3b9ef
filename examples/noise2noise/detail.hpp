#pragma once
/// \file
/// How detailed a clean image is, the statistic by which the course's 32 x 32 thumbnails differ
/// most from smooth photo crops (issue 16): shared by the tile selection (tiles.hpp) and the
/// noise statistics report (noise_stats.hpp).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace n2n {

/// The q-quantile of `v` (0 <= q <= 1), interpolated linearly between ranks as numpy's
/// percentile does; 0 for no values.
inline double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const std::size_t lo = std::size_t(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

/// The detail of a clean 3 x height x width uint8 image: the mean absolute difference between
/// horizontally neighbouring values plus that between vertically neighbouring values, over the
/// three channels (0..255 scale; 0 for a flat image, 255 * 2 at most).
inline double image_detail(const std::uint8_t* image, std::size_t height, std::size_t width) {
  const std::size_t plane = height * width;
  double h = 0, v = 0;
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t y = 0; y < height; ++y)
      for (std::size_t x = 0; x < width; ++x) {
        const int here = image[k * plane + y * width + x];
        if (x + 1 < width) h += std::abs(int(image[k * plane + y * width + x + 1]) - here);
        if (y + 1 < height) v += std::abs(int(image[k * plane + (y + 1) * width + x]) - here);
      }
  const double hn = 3.0 * double(height * (width - 1)), vn = 3.0 * double((height - 1) * width);
  return (hn > 0 ? h / hn : 0) + (vn > 0 ? v / vn : 0);
}

/// The course's clean images' image_detail at the 25th, 50th and 75th percentile (issue 16).
inline constexpr std::array<double, 3> course_detail_quartiles{24.0, 27.0, 32.5};

}  // namespace n2n
