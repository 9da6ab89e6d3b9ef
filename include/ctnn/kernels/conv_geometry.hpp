#pragma once
/// \file
/// The compile-time description of one 2-D convolution, shared by every conv kernel.

#include <cstddef>

namespace ctnn::kernels {

/// A cross-correlation (PyTorch's Conv2d, groups = 1):
///   y[n, co, oy, ox] = sum_{ci, ky, kx} w[co, ci, ky, kx] * x[n, ci, oy*s - p + ky*d, ox*s - p +
///   kx*d]
/// with zero padding. Output sizes are explicit (not derived) so that the same geometry also
/// describes a transposed conv with output padding, whose extra rows get no contribution.
struct ConvGeometry {
  int in_channels;
  int out_channels;
  int kernel;
  int stride;
  int padding;
  int dilation;
  int in_h, in_w;
  int out_h, out_w;

  constexpr std::size_t in_size() const { return std::size_t(in_channels) * in_h * in_w; }
  constexpr std::size_t out_size() const { return std::size_t(out_channels) * out_h * out_w; }
  constexpr std::size_t weight_size() const {
    return std::size_t(out_channels) * in_channels * kernel * kernel;
  }
  /// Multiply-adds per sample for one pass (forward, backward-data or backward-weight).
  constexpr double flops_per_sample() const {
    return 2.0 * double(out_size()) * in_channels * kernel * kernel;
  }
};

/// Output size of a conv along one axis: floor((in + 2p - d(k-1) - 1) / s) + 1.
constexpr int conv_out_size(int in, int k, int s, int p, int d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}
/// True when the (dilated) kernel fits into the padded input at least once.
constexpr bool conv_fits(int in, int k, int p, int d) {
  return in + 2 * p - d * (k - 1) - 1 >= 0;
}
/// Output size of a transposed conv: (in - 1)s - 2p + d(k-1) + output_padding + 1.
constexpr int conv_transpose_out_size(int in, int k, int s, int p, int op, int d) {
  return (in - 1) * s - 2 * p + d * (k - 1) + op + 1;
}

}  // namespace ctnn::kernels
