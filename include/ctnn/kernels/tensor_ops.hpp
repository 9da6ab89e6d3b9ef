#pragma once
/// \file
/// Tensor kernels of the layers: bias forward and backward, nearest upsampling, concatenation
/// and splitting of samples, in-place addition. Float runs SIMD and in parallel; reductions
/// (the bias gradient) are owned by one item each and summed in a fixed order, so results are
/// the same for any thread count.

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "ctnn/kernels/map.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/simd.hpp"

namespace ctnn::kernels {

/// y[n, c, :] += b[c] for n samples of C channels of `plane` values.
template <class T>
void add_bias(T* y, const T* b, std::size_t n, std::size_t channels, std::size_t plane) {
  for_each_item<T>(n * channels, [&](std::size_t item) {
    T* p = y + item * plane;
    const T bc = b[item % channels];
    simd_loop<T>(0, plane, [&](auto lanes, std::size_t j) {
      using V = typename decltype(lanes)::type;
      simd::store(p + j, simd::load_as<V>(p + j) + V(bc));
    });
  });
}

/// db[c] += sum over samples and positions of dy[n, c, :].
template <class T>
void bias_backward(const T* dy, T* db, std::size_t n, std::size_t channels, std::size_t plane) {
  // One item per channel, samples in order: the sum does not depend on the thread count. Float
  // sums the vector-wide part in one vector and the tails apart; other types sum in order.
  for_each_item<T>(channels, [&](std::size_t c) {
    simd::vec vector_sum(0.0f);
    T sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const T* p = dy + (i * channels + c) * plane;
      simd_loop<T>(0, plane, [&](auto lanes, std::size_t j) {
        using V = typename decltype(lanes)::type;
        if constexpr (std::is_same_v<V, T>)
          sum += p[j];
        else
          vector_sum = vector_sum + simd::load_as<V>(p + j);
      });
    }
    if constexpr (std::is_same_v<T, float>)
      db[c] += simd::hsum(vector_sum) + sum;
    else
      db[c] += sum;
  });
}

/// out[i] += in[i].
template <class T>
void add_inplace(T* out, const T* in, std::size_t count) {
  map(
      out, count, [](auto a, auto b) { return a + b; }, out, in);
}

/// out[i] = a[i] + b[i].
template <class T>
void add(const T* a, const T* b, T* out, std::size_t count) {
  map(
      out, count, [](auto x, auto y) { return x + y; }, a, b);
}

/// out[i] = a[i] - b[i].
template <class T>
void subtract(const T* a, const T* b, T* out, std::size_t count) {
  map(
      out, count, [](auto x, auto y) { return x - y; }, a, b);
}

/// out[i] = -in[i].
template <class T>
void negate(const T* in, T* out, std::size_t count) {
  map(
      out, count, [](auto x) { return -x; }, in);
}

/// Nearest-neighbour upsampling by an integer factor: y[c, oy, ox] = x[c, oy/S, ox/S].
template <int Scale, class T>
void upsample_nearest_forward(const T* x, T* y, std::size_t planes, std::size_t h, std::size_t w) {
  const std::size_t wo = w * Scale;
  parallel_items(planes, [&](std::size_t p) {
    const T* xp = x + p * h * w;
    T* yp = y + p * h * w * Scale * Scale;
    for (std::size_t iy = 0; iy < h; ++iy) {
      T* row = yp + iy * Scale * wo;
      for (std::size_t ix = 0; ix < w; ++ix)
        for (int s = 0; s < Scale; ++s)
          row[ix * Scale + s] = xp[iy * w + ix];
      for (int s = 1; s < Scale; ++s)
        std::copy(row, row + wo, row + s * wo);
    }
  });
}

/// dx[c, iy, ix] = sum of dy over the Scale x Scale block it was copied to. Overwrites dx.
template <int Scale, class T>
void upsample_nearest_backward(const T* dy, T* dx, std::size_t planes, std::size_t h,
                               std::size_t w) {
  const std::size_t wo = w * Scale;
  parallel_items(planes, [&](std::size_t p) {
    const T* dyp = dy + p * h * w * Scale * Scale;
    T* dxp = dx + p * h * w;
    for (std::size_t iy = 0; iy < h; ++iy)
      for (std::size_t ix = 0; ix < w; ++ix) {
        T acc = 0;
        for (int sy = 0; sy < Scale; ++sy)
          for (int sx = 0; sx < Scale; ++sx)
            acc += dyp[(iy * Scale + sy) * wo + ix * Scale + sx];
        dxp[iy * w + ix] = acc;
      }
  });
}

/// Per sample, copies `a_size` values from a, then `b_size` values from b, into out.
template <class T>
void concat_samples(const T* a, std::size_t a_size, const T* b, std::size_t b_size, T* out,
                    std::size_t n) {
  parallel_items(n, [&](std::size_t i) {
    T* o = out + i * (a_size + b_size);
    std::copy(a + i * a_size, a + (i + 1) * a_size, o);
    std::copy(b + i * b_size, b + (i + 1) * b_size, o + a_size);
  });
}

/// The inverse of concat_samples: the first `a_size` values of each sample go to a.
template <class T>
void split_samples(const T* in, T* a, std::size_t a_size, T* b, std::size_t b_size, std::size_t n) {
  parallel_items(n, [&](std::size_t i) {
    const T* s = in + i * (a_size + b_size);
    std::copy(s, s + a_size, a + i * a_size);
    std::copy(s + a_size, s + a_size + b_size, b + i * b_size);
  });
}

}  // namespace ctnn::kernels
