#pragma once
/// \file
/// Activation kernels, forward and backward: ReLU, LeakyReLU and the logistic sigmoid. Each
/// operation is written once and run by kernels::map (SIMD and parallel for float, plain loops
/// otherwise).

#include <cstddef>

#include "ctnn/kernels/map.hpp"

// GCC 12 reports its own AVX-512 intrinsics (the _mm512_undefined_* they start from) as
// "maybe uninitialized" once xsimd's exp is inlined at -O3: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace ctnn::kernels {

/// y = max(x, 0), and NaN stays NaN as in PyTorch: a diverging network must show a NaN loss,
/// not die silently into zeros (`x > 0 ? x : 0` would map NaN to 0).
template <class T>
void relu_forward(const T* x, T* y, std::size_t count) {
  map(
      y, count, [](auto v) { return simd::select(v < decltype(v)(T(0)), decltype(v)(T(0)), v); },
      x);
}

/// dx = 0 where x <= 0, else dy: PyTorch's threshold_backward (gradient 0 at x == 0; a NaN input
/// passes the gradient on).
template <class T>
void relu_backward(const T* x, const T* dy, T* dx, std::size_t count) {
  map(
      dx, count,
      [](auto xv, auto g) {
        using V = decltype(xv);
        return simd::select(xv <= V(T(0)), V(T(0)), g);
      },
      x, dy);
}

/// y = x for x > 0, else slope * x (PyTorch's leaky_relu: `x > 0 ? x : x * negative_slope`).
template <class T>
void leaky_relu_forward(const T* x, T* y, std::size_t count, T slope) {
  map(
      y, count,
      [slope](auto v) {
        using V = decltype(v);
        return simd::select(v > V(T(0)), v, v * V(slope));
      },
      x);
}

/// dx = dy where x > 0, else slope * dy (PyTorch's convention at x == 0: the slope).
template <class T>
void leaky_relu_backward(const T* x, const T* dy, T* dx, std::size_t count, T slope) {
  map(
      dx, count,
      [slope](auto xv, auto g) {
        using V = decltype(xv);
        return simd::select(xv > V(T(0)), g, g * V(slope));
      },
      x, dy);
}

/// y = 1 / (1 + exp(-x)), numerically stable: exp is only taken of -|x|, which never
/// overflows; then 1 / (1 + e) for x >= 0 and e / (1 + e) = e * (1 / (1 + e)) otherwise.
template <class T>
void sigmoid_forward(const T* x, T* y, std::size_t count) {
  map(
      y, count,
      [](auto v) {
        using V = decltype(v);
        const V ex = simd::vexp(-simd::vabs(v));
        const V r = V(T(1)) / (V(T(1)) + ex);
        return simd::select(v >= V(T(0)), r, ex * r);
      },
      x);
}

/// dx = dy * y * (1 - y), from the forward output y.
template <class T>
void sigmoid_backward(const T* y, const T* dy, T* dx, std::size_t count) {
  map(
      dx, count,
      [](auto yv, auto g) {
        using V = decltype(yv);
        return g * yv * (V(T(1)) - yv);
      },
      y, dy);
}

}  // namespace ctnn::kernels

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
