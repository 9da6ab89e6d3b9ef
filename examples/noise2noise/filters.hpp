#pragma once
// Classical denoising filters, the baselines the trainer measures on the same validation set
// as the network: they show what a network must beat to be worth training.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace n2n {

/// A filter maps one channel plane (h x w values in [0, 1]) to another; borders replicate.
using PlaneFilter = std::function<void(const float* in, float* out, int h, int w)>;

struct NamedFilter {
  std::string name;
  PlaneFilter apply;
};

inline float at_clamped(const float* p, int h, int w, int y, int x) {
  y = std::clamp(y, 0, h - 1);
  x = std::clamp(x, 0, w - 1);
  return p[y * w + x];
}

/// (2r+1) x (2r+1) box mean.
inline PlaneFilter box_mean(int r) {
  return [r](const float* in, float* out, int h, int w) {
    const float norm = 1.0f / float((2 * r + 1) * (2 * r + 1));
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float s = 0;
        for (int dy = -r; dy <= r; ++dy)
          for (int dx = -r; dx <= r; ++dx)
            s += at_clamped(in, h, w, y + dy, x + dx);
        out[y * w + x] = s * norm;
      }
  };
}

/// Gaussian blur with standard deviation sigma (kernel radius ceil(3 sigma)), separable.
inline PlaneFilter gaussian(float sigma) {
  const int r = int(std::ceil(3 * sigma));
  std::vector<float> k(std::size_t(2 * r + 1));
  float sum = 0;
  for (int i = -r; i <= r; ++i)
    sum += k[std::size_t(i + r)] = std::exp(-0.5f * float(i * i) / (sigma * sigma));
  for (auto& v : k)
    v /= sum;
  return [k, r](const float* in, float* out, int h, int w) {
    std::vector<float> tmp(std::size_t(h * w));
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float s = 0;
        for (int i = -r; i <= r; ++i)
          s += k[std::size_t(i + r)] * at_clamped(in, h, w, y, x + i);
        tmp[std::size_t(y * w + x)] = s;
      }
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float s = 0;
        for (int i = -r; i <= r; ++i)
          s += k[std::size_t(i + r)] * at_clamped(tmp.data(), h, w, y + i, x);
        out[y * w + x] = s;
      }
  };
}

/// (2r+1) x (2r+1) median.
inline PlaneFilter median(int r) {
  return [r](const float* in, float* out, int h, int w) {
    std::vector<float> win;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        win.clear();
        for (int dy = -r; dy <= r; ++dy)
          for (int dx = -r; dx <= r; ++dx)
            win.push_back(at_clamped(in, h, w, y + dy, x + dx));
        std::nth_element(win.begin(), win.begin() + std::ptrdiff_t(win.size() / 2), win.end());
        out[y * w + x] = win[win.size() / 2];
      }
  };
}

/// The candidates the report compares; the best on the validation set is reported.
inline std::vector<NamedFilter> classical_filters() {
  return {{"3x3 mean", box_mean(1)},
          {"Gaussian sigma 0.7", gaussian(0.7f)},
          {"Gaussian sigma 1.0", gaussian(1.0f)},
          {"3x3 median", median(1)},
          {"5x5 median", median(2)}};
}

}  // namespace n2n
