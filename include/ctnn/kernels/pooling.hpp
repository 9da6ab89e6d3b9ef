#pragma once
/// \file
/// Max pooling, forward and backward, as PyTorch's CPU kernel computes it (nn.MaxPool2d with
/// dilation 1): each window is scanned row by row and keeps the first maximum it meets, a NaN
/// counts as the maximum (`v > max || isnan(v)`, so the last NaN of a window wins), padding is
/// never picked, and backward adds each dy to the element forward picked. One parallel item
/// per plane (an (n, c) pair), which owns its outputs and sums in a fixed order: results are
/// the same for any thread count.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "ctnn/kernels/conv_geometry.hpp"
#include "ctnn/kernels/parallel.hpp"

namespace ctnn::kernels {

/// Where a window's maximum is: an index into its input plane (row * W + column).
using PoolIndex = std::uint32_t;

/// The geometry of a K x K max pool with stride S and padding P on H x W planes (PyTorch's
/// ceil_mode false): Ho = floor((H + 2P - K) / S) + 1, likewise Wo. Requires H + 2P >= K,
/// W + 2P >= K, S > 0 and P <= K / 2 (then every window holds at least one input element).
template <int K, int S, int P, int H, int W>
struct MaxPool2dGeometry {
  static constexpr int kernel = K, stride = S, padding = P, in_h = H, in_w = W;
  static constexpr int out_h = conv_out_size(H, K, S, P, 1);
  static constexpr int out_w = conv_out_size(W, K, S, P, 1);
  static constexpr std::size_t in_plane = std::size_t(H) * std::size_t(W);
  static constexpr std::size_t out_plane = std::size_t(out_h) * std::size_t(out_w);
};

/// y[p, oy, ox] = max of x[p] over the window at (oy S - P, ox S - P), for `planes` planes;
/// argmax[p, oy, ox] = where it was. Overwrites y and argmax.
template <class G, class T>
void max_pool2d_forward(const T* x, T* y, PoolIndex* argmax, std::size_t planes) {
  parallel_items(planes, [&](std::size_t p) {
    const T* xp = x + p * G::in_plane;
    T* yp = y + p * G::out_plane;
    PoolIndex* ap = argmax + p * G::out_plane;
    if constexpr (G::padding == 0) {
      // Every window lies inside the input: fixed K x K loops, and the pick as selects rather
      // than branches (random data mispredicts them). Starting from the window's first element
      // instead of -inf picks the same: -inf there would be replaced by it unless it is -inf.
      for (int oy = 0; oy < G::out_h; ++oy)
        for (int ox = 0; ox < G::out_w; ++ox) {
          const PoolIndex first = PoolIndex(oy * G::stride * G::in_w + ox * G::stride);
          T best = xp[first];
          PoolIndex at = first;
          for (int ky = 0; ky < G::kernel; ++ky)
            for (int kx = ky == 0 ? 1 : 0; kx < G::kernel; ++kx) {
              const PoolIndex i = first + PoolIndex(ky * G::in_w + kx);
              const T v = xp[i];
              const bool take = (v > best) | std::isnan(v);
              best = take ? v : best;
              at = take ? i : at;
            }
          yp[oy * G::out_w + ox] = best;
          ap[oy * G::out_w + ox] = at;
        }
      return;
    }
    for (int oy = 0; oy < G::out_h; ++oy) {
      const int y0 = std::max(oy * G::stride - G::padding, 0);
      const int y1 = std::min(oy * G::stride - G::padding + G::kernel, G::in_h);
      for (int ox = 0; ox < G::out_w; ++ox) {
        const int x0 = std::max(ox * G::stride - G::padding, 0);
        const int x1 = std::min(ox * G::stride - G::padding + G::kernel, G::in_w);
        // PyTorch's start: -inf at the window's first element inside the input.
        T best = -std::numeric_limits<T>::infinity();
        PoolIndex at = PoolIndex(y0 * G::in_w + x0);
        for (int iy = y0; iy < y1; ++iy)
          for (int ix = x0; ix < x1; ++ix) {
            const T v = xp[iy * G::in_w + ix];
            if (v > best || std::isnan(v)) {
              best = v;
              at = PoolIndex(iy * G::in_w + ix);
            }
          }
        yp[oy * G::out_w + ox] = best;
        ap[oy * G::out_w + ox] = at;
      }
    }
  });
}

/// dx[p] = 0, then dx[p, argmax[p, o]] += dy[p, o] for every output o in order (PyTorch's
/// order, so overlapping windows that picked the same element sum as PyTorch sums them).
/// Overwrites dx.
template <class G, class T>
void max_pool2d_backward(const T* dy, const PoolIndex* argmax, T* dx, std::size_t planes) {
  parallel_items(planes, [&](std::size_t p) {
    const T* gp = dy + p * G::out_plane;
    const PoolIndex* ap = argmax + p * G::out_plane;
    T* dxp = dx + p * G::in_plane;
    std::fill(dxp, dxp + G::in_plane, T(0));
    for (std::size_t o = 0; o < G::out_plane; ++o)
      dxp[ap[o]] += gp[o];
  });
}

}  // namespace ctnn::kernels
