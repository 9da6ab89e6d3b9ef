#pragma once
/// \file
/// Plain, obviously-correct convolution loops: the oracle the fast kernels are tested against,
/// and the kernels used for scalar types the fast path does not cover (double in the
/// gradient checks).

#include <algorithm>
#include <cstddef>

#include "ctnn/kernels/conv_geometry.hpp"

namespace ctnn::kernels::reference {

namespace detail {
/// The range [lo, hi) of output positions o whose input position o*s - p + k*d lies in [0, in).
constexpr void valid_range(int in, int out, int s, int off, int& lo, int& hi) {
  // o*s + off >= 0 and o*s + off < in, where off = k*d - p
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = in - off <= 0 ? 0 : (in - off - 1) / s + 1;
  hi = std::min(hi, out);
  if (hi < lo) hi = lo;
}
}  // namespace detail

/// y = conv(x, w) + b for n samples; b may be null. Overwrites y.
template <ConvGeometry G, class T>
void conv_forward(const T* x, const T* w, const T* b, T* y, std::size_t n) {
  constexpr int Hi = G.in_h, Wi = G.in_w, Ho = G.out_h, Wo = G.out_w, S = G.stride;
  for (std::size_t i = 0; i < n; ++i) {
    const T* xs = x + i * G.in_size();
    T* ys = y + i * G.out_size();
    for (int co = 0; co < G.out_channels; ++co) {
      T* yc = ys + std::size_t(co) * Ho * Wo;
      std::fill(yc, yc + Ho * Wo, b ? b[co] : T(0));
      for (int ci = 0; ci < G.in_channels; ++ci) {
        const T* xc = xs + std::size_t(ci) * Hi * Wi;
        for (int ky = 0; ky < G.kernel; ++ky) {
          int oy0, oy1;
          detail::valid_range(Hi, Ho, S, ky * G.dilation - G.padding, oy0, oy1);
          for (int kx = 0; kx < G.kernel; ++kx) {
            const T wv =
                w[((std::size_t(co) * G.in_channels + ci) * G.kernel + ky) * G.kernel + kx];
            const int offx = kx * G.dilation - G.padding;
            int ox0, ox1;
            detail::valid_range(Wi, Wo, S, offx, ox0, ox1);
            for (int oy = oy0; oy < oy1; ++oy) {
              const T* xr = xc + std::size_t(oy * S + ky * G.dilation - G.padding) * Wi;
              T* yr = yc + std::size_t(oy) * Wo;
              for (int ox = ox0; ox < ox1; ++ox)
                yr[ox] += wv * xr[ox * S + offx];
            }
          }
        }
      }
    }
  }
}

/// dx = conv^T(dy, w): the gradient of conv_forward w.r.t. x. Overwrites dx.
template <ConvGeometry G, class T>
void conv_backward_data(const T* dy, const T* w, T* dx, std::size_t n) {
  constexpr int Hi = G.in_h, Wi = G.in_w, Ho = G.out_h, Wo = G.out_w, S = G.stride;
  std::fill(dx, dx + n * G.in_size(), T(0));
  for (std::size_t i = 0; i < n; ++i) {
    const T* dys = dy + i * G.out_size();
    T* dxs = dx + i * G.in_size();
    for (int ci = 0; ci < G.in_channels; ++ci) {
      T* dxc = dxs + std::size_t(ci) * Hi * Wi;
      for (int co = 0; co < G.out_channels; ++co) {
        const T* dyc = dys + std::size_t(co) * Ho * Wo;
        for (int ky = 0; ky < G.kernel; ++ky) {
          int oy0, oy1;
          detail::valid_range(Hi, Ho, S, ky * G.dilation - G.padding, oy0, oy1);
          for (int kx = 0; kx < G.kernel; ++kx) {
            const T wv =
                w[((std::size_t(co) * G.in_channels + ci) * G.kernel + ky) * G.kernel + kx];
            const int offx = kx * G.dilation - G.padding;
            int ox0, ox1;
            detail::valid_range(Wi, Wo, S, offx, ox0, ox1);
            for (int oy = oy0; oy < oy1; ++oy) {
              T* xr = dxc + std::size_t(oy * S + ky * G.dilation - G.padding) * Wi;
              const T* yr = dyc + std::size_t(oy) * Wo;
              for (int ox = ox0; ox < ox1; ++ox)
                xr[ox * S + offx] += wv * yr[ox];
            }
          }
        }
      }
    }
  }
}

/// dw += dL/dw given x and dy. Accumulates, as PyTorch's .grad does.
template <ConvGeometry G, class T>
void conv_backward_weight(const T* x, const T* dy, T* dw, std::size_t n) {
  constexpr int Hi = G.in_h, Wi = G.in_w, Ho = G.out_h, Wo = G.out_w, S = G.stride;
  for (std::size_t i = 0; i < n; ++i) {
    const T* xs = x + i * G.in_size();
    const T* dys = dy + i * G.out_size();
    for (int co = 0; co < G.out_channels; ++co) {
      const T* dyc = dys + std::size_t(co) * Ho * Wo;
      for (int ci = 0; ci < G.in_channels; ++ci) {
        const T* xc = xs + std::size_t(ci) * Hi * Wi;
        for (int ky = 0; ky < G.kernel; ++ky) {
          int oy0, oy1;
          detail::valid_range(Hi, Ho, S, ky * G.dilation - G.padding, oy0, oy1);
          for (int kx = 0; kx < G.kernel; ++kx) {
            const int offx = kx * G.dilation - G.padding;
            int ox0, ox1;
            detail::valid_range(Wi, Wo, S, offx, ox0, ox1);
            T acc = 0;
            for (int oy = oy0; oy < oy1; ++oy) {
              const T* xr = xc + std::size_t(oy * S + ky * G.dilation - G.padding) * Wi;
              const T* yr = dyc + std::size_t(oy) * Wo;
              for (int ox = ox0; ox < ox1; ++ox)
                acc += yr[ox] * xr[ox * S + offx];
            }
            dw[((std::size_t(co) * G.in_channels + ci) * G.kernel + ky) * G.kernel + kx] += acc;
          }
        }
      }
    }
  }
}

}  // namespace ctnn::kernels::reference
