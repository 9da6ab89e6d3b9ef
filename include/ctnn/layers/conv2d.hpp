#pragma once
/// \file
/// `Conv2d<Cin, Cout, K, Stride, Padding, Dilation>`: PyTorch's nn.Conv2d (groups = 1, bias,
/// zero padding).

#include <array>
#include <string>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/conv.hpp"
#include "ctnn/kernels/tensor_ops.hpp"
#include "ctnn/layers/detail/weight_bias.hpp"

namespace ctnn {

template <class Spec, ShapeType In, class T>
class Conv2dLayer;

namespace diagnose {
/// The checks of Conv2d's own arguments.
template <int Cin, int Cout, int K, int Stride, int Padding, int Dilation>
struct Conv2dArguments {
  static_assert(Cin > 0, "Conv2d: Cin (input channels) must be positive");
  static_assert(Cout > 0, "Conv2d: Cout (output channels) must be positive");
  static_assert(K > 0, "Conv2d: K (kernel size) must be positive");
  static_assert(Stride > 0, "Conv2d: Stride must be positive");
  static_assert(Padding >= 0, "Conv2d: Padding must not be negative");
  static_assert(Dilation > 0, "Conv2d: Dilation must be positive");
};

/// The shape checks of Conv2d `Spec` applied to input shape `In`.
template <class Spec, ShapeType In>
struct Conv2dInput {
  static_assert(In::channels == Spec::in_channels,
                "Conv2d: channel mismatch: the layer's Cin (first template argument) differs from "
                "the number of channels of its input (the previous layer's output)");
  static constexpr bool fits_h =
      kernels::conv_fits(In::height, Spec::kernel, Spec::padding, Spec::dilation);
  static constexpr bool fits_w =
      kernels::conv_fits(In::width, Spec::kernel, Spec::padding, Spec::dilation);
  static_assert(fits_h && fits_w,
                "Conv2d: the output would be empty: the dilated kernel, Dilation*(K-1)+1, is "
                "larger than the padded input height or width, H+2*Padding or W+2*Padding");
};
}  // namespace diagnose

/// 2-D convolution (cross-correlation) with a K x K kernel.
/// Input C x H x W with C == Cin; output Cout x H' x W' with
/// H' = floor((H + 2 Padding - Dilation (K - 1) - 1) / Stride) + 1 (likewise W').
/// Weight (Cout, Cin, K, K), bias (Cout), as in PyTorch.
template <int Cin, int Cout, int K, int Stride = 1, int Padding = 0, int Dilation = 1>
struct Conv2d {
  static_assert(sizeof(diagnose::Conv2dArguments<Cin, Cout, K, Stride, Padding, Dilation>) > 0);
  static constexpr int in_channels = Cin, out_channels = Cout, kernel = K, stride = Stride,
                       padding = Padding, dilation = Dilation;

  /// "Conv2d<3,32,3,1,0,1>": the spec in canonical form (recorded in checkpoints).
  static std::string name() {
    return "Conv2d<" + detail::join_ints({Cin, Cout, K, Stride, Padding, Dilation}) + ">";
  }

  template <ShapeType In, class T = float>
  using bind = Conv2dLayer<Conv2d, In, T>;
};

template <class Spec, ShapeType In, class T>
class Conv2dLayer {
  // (A Stride < 1 has been reported by the spec's check; 1 here avoids a division by zero.)
  static constexpr int Cin = Spec::in_channels, Cout = Spec::out_channels, K = Spec::kernel,
                       S = Spec::stride > 0 ? Spec::stride : 1, P = Spec::padding,
                       D = Spec::dilation;
  // Checked in a struct of its own so the compiler's "In instantiation of" line names the
  // layer and its input shape; the sizes below do not read from it (see diagnose:: in
  // core/layer.hpp).
  static_assert(sizeof(diagnose::Conv2dInput<Spec, In>) > 0);
  static constexpr bool fits_h = kernels::conv_fits(In::height, K, P, D);
  static constexpr bool fits_w = kernels::conv_fits(In::width, K, P, D);
  static constexpr int Ho = fits_h ? kernels::conv_out_size(In::height, K, S, P, D) : 1;
  static constexpr int Wo = fits_w ? kernels::conv_out_size(In::width, K, S, P, D) : 1;

 public:
  using spec = Spec;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = Shape<Cout, Ho, Wo>;
  static constexpr kernels::ConvGeometry geometry{Cin, Cout,       K,         S,  P,
                                                  D,   In::height, In::width, Ho, Wo};

  explicit Conv2dLayer(Rng& rng)
      : params_({std::size_t(Cout), std::size_t(Cin), std::size_t(K), std::size_t(K)}, Cout,
                std::size_t(Cin) * K * K, rng) {}

  const Batch<output_shape, T>& forward(const Batch<In, T>& x) {
    input_ = &x;
    out_.resize(x.batch_size());
    kernel_.forward(x.data(), params_.weight.data(), params_.bias.data(), out_.data(),
                    x.batch_size());
    return out_;
  }

  const Batch<In, T>& backward(const Batch<output_shape, T>& dy) {
    const std::size_t n = dy.batch_size();
    kernel_.backward_weight(input_->data(), dy.data(), params_.weight_grad.data(), n);
    kernels::bias_backward(dy.data(), params_.bias_grad.data(), n, Cout, std::size_t(Ho) * Wo);
    grad_in_.resize(n);
    kernel_.backward_data(dy.data(), params_.weight.data(), grad_in_.data(), n);
    return grad_in_;
  }

  void zero_grad() { params_.zero_grad(); }
  void collect_parameters(ParameterList<T>& out, const std::string& prefix) {
    params_.collect(out, prefix);
  }
  ParameterList<T> parameters() {
    ParameterList<T> out;
    collect_parameters(out, "");
    return out;
  }

  /// Weight (Cout, Cin, K, K) and bias (Cout) and their gradients.
  xt::xtensor<T, 4>& weight() { return params_.weight; }
  xt::xtensor<T, 1>& bias() { return params_.bias; }
  const xt::xtensor<T, 4>& weight_grad() const { return params_.weight_grad; }
  const xt::xtensor<T, 1>& bias_grad() const { return params_.bias_grad; }

 private:
  detail::WeightBias<T> params_;
  kernels::ConvKernel<geometry, T> kernel_;
  Batch<output_shape, T> out_;
  Batch<In, T> grad_in_;
  const Batch<In, T>* input_ = nullptr;
};

}  // namespace ctnn
