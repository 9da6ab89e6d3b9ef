#pragma once
/// \file
/// Loss kernels: the mean squared error and its gradient.

#include <cstddef>

#include "ctnn/kernels/map.hpp"

namespace ctnn::kernels {

/// mean((y - t)^2), accumulated in double in index order, so the loss of a large batch stays
/// exact and does not depend on the thread count.
template <class T>
double mse_forward(const T* y, const T* t, std::size_t count) {
  double acc = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double d = double(y[i]) - double(t[i]);
    acc += d * d;
  }
  return count ? acc / double(count) : 0.0;
}

/// dy = scale * 2 (y - t) / count.
template <class T>
void mse_backward(const T* y, const T* t, T* dy, std::size_t count, T scale) {
  const T k = scale * T(2) / T(count);
  map(
      dy, count, [k](auto yv, auto tv) { return decltype(yv)(k) * (yv - tv); }, y, t);
}

}  // namespace ctnn::kernels
