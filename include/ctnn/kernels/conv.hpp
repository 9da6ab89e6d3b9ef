#pragma once
/// \file
/// The one kernel interface the conv layers call. A layer owns a `ConvKernel<G, T>` (it may
/// hold reusable workspaces); a faster implementation replaces what is behind it without
/// touching the layers. For float it is the SIMD + TBB implementation of fast_conv.hpp; other
/// scalar types (double in the gradient checks) run the reference loops.

#include <cstddef>

#include "ctnn/kernels/conv_geometry.hpp"
#include "ctnn/kernels/fast_conv.hpp"
#include "ctnn/kernels/reference/conv.hpp"

namespace ctnn::kernels {

/// Forward, backward-data and backward-weight passes of one conv geometry.
/// Transposed conv uses the same object: its forward is this backward_data, its
/// backward-data is this forward, its backward-weight is this backward_weight with x and dy
/// swapped.
template <ConvGeometry G, class T>
class ConvKernel {
 public:
  static constexpr ConvGeometry geometry = G;

  /// y = conv(x, w) + b over n samples; b may be null. Overwrites y.
  void forward(const T* x, const T* w, const T* b, T* y, std::size_t n) {
    reference::conv_forward<G>(x, w, b, y, n);
  }
  /// dx = gradient of forward w.r.t. x. Overwrites dx.
  void backward_data(const T* dy, const T* w, T* dx, std::size_t n) {
    reference::conv_backward_data<G>(dy, w, dx, n);
  }
  /// dw += gradient of forward w.r.t. w.
  void backward_weight(const T* x, const T* dy, T* dw, std::size_t n) {
    reference::conv_backward_weight<G>(x, dy, dw, n);
  }
};

/// float: the fast kernels. Same interface and semantics, results equal to the reference up
/// to float rounding (summation order), bit-identical for any thread count.
template <ConvGeometry G>
class ConvKernel<G, float> : public fast::FastConv<G> {};

}  // namespace ctnn::kernels
