#pragma once
/// \file
/// Batch normalisation kernels over N x C x plane tensors (plane = H * W): per-channel batch
/// statistics, the normalisation, and the two backward passes. Reductions are owned by one
/// item per channel, run over samples and positions in order and accumulated in double, so the
/// results do not depend on the thread count; the element-wise passes run one item per
/// (sample, channel) plane, SIMD for float.

#include <cstddef>

#include "ctnn/kernels/map.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/simd.hpp"

namespace ctnn::kernels {

/// mean[c] and the biased variance var[c] (divided by n * plane) of x[:, c, :], two passes
/// (mean, then the squared deviations from it) in double.
template <class T>
void batch_norm_statistics(const T* x, std::size_t n, std::size_t channels, std::size_t plane,
                           T* mean, T* var) {
  const double count = double(n) * double(plane);
  for_each_item<T>(channels, [&](std::size_t c) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const T* p = x + (i * channels + c) * plane;
      for (std::size_t j = 0; j < plane; ++j)
        sum += double(p[j]);
    }
    const double m = sum / count;
    double squares = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const T* p = x + (i * channels + c) * plane;
      for (std::size_t j = 0; j < plane; ++j) {
        const double d = double(p[j]) - m;
        squares += d * d;
      }
    }
    mean[c] = T(m);
    var[c] = T(squares / count);
  });
}

/// xhat = (x - shift[c]) * scale[c] and y = xhat * gamma[c] + beta[c], per element.
template <class T>
void batch_norm_normalize(const T* x, T* xhat, T* y, std::size_t n, std::size_t channels,
                          std::size_t plane, const T* shift, const T* scale, const T* gamma,
                          const T* beta) {
  for_each_item<T>(n * channels, [&](std::size_t item) {
    const std::size_t c = item % channels;
    const T* xp = x + item * plane;
    T* hp = xhat + item * plane;
    T* yp = y + item * plane;
    simd_loop<T>(0, plane, [&](auto lanes, std::size_t j) {
      using V = typename decltype(lanes)::type;
      const V h = (simd::load_as<V>(xp + j) - V(shift[c])) * V(scale[c]);
      simd::store(hp + j, h);
      simd::store(yp + j, h * V(gamma[c]) + V(beta[c]));
    });
  });
}

/// sum_dy[c] = sum of dy[:, c, :] and sum_dy_xhat[c] = sum of dy * xhat over it, in double,
/// in order (overwrites both).
template <class T>
void batch_norm_backward_sums(const T* dy, const T* xhat, std::size_t n, std::size_t channels,
                              std::size_t plane, T* sum_dy, T* sum_dy_xhat) {
  for_each_item<T>(channels, [&](std::size_t c) {
    double s = 0, sx = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t offset = (i * channels + c) * plane;
      for (std::size_t j = 0; j < plane; ++j) {
        s += double(dy[offset + j]);
        sx += double(dy[offset + j]) * double(xhat[offset + j]);
      }
    }
    sum_dy[c] = T(s);
    sum_dy_xhat[c] = T(sx);
  });
}

/// dx = scale[c] * (dy - mean_dy[c] - xhat * mean_dy_xhat[c]), per element (overwrites dx).
/// Training mode: scale = gamma * invstd and the means are the backward sums over n * plane;
/// evaluation mode: the means are 0.
template <class T>
void batch_norm_backward_data(const T* dy, const T* xhat, T* dx, std::size_t n,
                              std::size_t channels, std::size_t plane, const T* scale,
                              const T* mean_dy, const T* mean_dy_xhat) {
  for_each_item<T>(n * channels, [&](std::size_t item) {
    const std::size_t c = item % channels;
    const T* gp = dy + item * plane;
    const T* hp = xhat + item * plane;
    T* dp = dx + item * plane;
    simd_loop<T>(0, plane, [&](auto lanes, std::size_t j) {
      using V = typename decltype(lanes)::type;
      const V g =
          simd::load_as<V>(gp + j) - V(mean_dy[c]) - simd::load_as<V>(hp + j) * V(mean_dy_xhat[c]);
      simd::store(dp + j, g * V(scale[c]));
    });
  });
}

}  // namespace ctnn::kernels
