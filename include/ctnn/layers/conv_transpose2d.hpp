#pragma once
/// \file
/// `ConvTranspose2d<Cin, Cout, K, Stride, Padding, OutputPadding, Dilation>`: PyTorch's
/// nn.ConvTranspose2d (groups = 1, bias).

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
class ConvTranspose2dLayer;

namespace diagnose {
/// The checks of ConvTranspose2d's own arguments.
template <int Cin, int Cout, int K, int Stride, int Padding, int OutputPadding, int Dilation>
struct ConvTranspose2dArguments {
  static_assert(Cin > 0, "ConvTranspose2d: Cin (input channels) must be positive");
  static_assert(Cout > 0, "ConvTranspose2d: Cout (output channels) must be positive");
  static_assert(K > 0, "ConvTranspose2d: K (kernel size) must be positive");
  static_assert(Stride > 0, "ConvTranspose2d: Stride must be positive");
  static_assert(Padding >= 0, "ConvTranspose2d: Padding must not be negative");
  static_assert(Dilation > 0, "ConvTranspose2d: Dilation must be positive");
  static_assert(OutputPadding >= 0 && (OutputPadding < Stride || OutputPadding < Dilation),
                "ConvTranspose2d: OutputPadding must be smaller than either Stride or Dilation "
                "(as in PyTorch)");
};

/// The shape checks of ConvTranspose2d `Spec` applied to input shape `In`.
template <class Spec, ShapeType In>
struct ConvTranspose2dInput {
  static_assert(In::channels == Spec::in_channels,
                "ConvTranspose2d: channel mismatch: the layer's Cin (first template argument) "
                "differs from the number of channels of its input (the previous layer's output)");
  static constexpr int out_h = kernels::conv_transpose_out_size(
      In::height, Spec::kernel, Spec::stride, Spec::padding, Spec::output_padding, Spec::dilation);
  static constexpr int out_w = kernels::conv_transpose_out_size(
      In::width, Spec::kernel, Spec::stride, Spec::padding, Spec::output_padding, Spec::dilation);
  static_assert(out_h > 0 && out_w > 0,
                "ConvTranspose2d: the output would be empty: (H-1)*Stride - 2*Padding + "
                "Dilation*(K-1) + OutputPadding + 1 is zero or negative (Padding too large)");
};
}  // namespace diagnose

/// Transposed 2-D convolution (the gradient of Conv2d w.r.t. its input, plus a bias).
/// Input C x H x W with C == Cin; output Cout x H' x W' with
/// H' = (H - 1) Stride - 2 Padding + Dilation (K - 1) + OutputPadding + 1 (likewise W').
/// Weight (Cin, Cout, K, K), bias (Cout), as in PyTorch.
template <int Cin, int Cout, int K, int Stride = 1, int Padding = 0, int OutputPadding = 0,
          int Dilation = 1>
struct ConvTranspose2d {
  static_assert(sizeof(diagnose::ConvTranspose2dArguments<Cin, Cout, K, Stride, Padding,
                                                          OutputPadding, Dilation>) > 0);
  static constexpr int in_channels = Cin, out_channels = Cout, kernel = K, stride = Stride,
                       padding = Padding, output_padding = OutputPadding, dilation = Dilation;

  static std::string name() {
    return "ConvTranspose2d<" +
           detail::join_ints({Cin, Cout, K, Stride, Padding, OutputPadding, Dilation}) + ">";
  }

  template <ShapeType In, class T = float>
  using bind = ConvTranspose2dLayer<ConvTranspose2d, In, T>;
};

template <class Spec, ShapeType In, class T>
class ConvTranspose2dLayer {
  static constexpr int Cin = Spec::in_channels, Cout = Spec::out_channels, K = Spec::kernel,
                       S = Spec::stride, P = Spec::padding, OP = Spec::output_padding,
                       D = Spec::dilation;
  // Checked in a struct of its own so the compiler's "In instantiation of" line names the
  // layer and its input shape; the sizes below do not read from it (see diagnose:: in
  // core/layer.hpp).
  static_assert(sizeof(diagnose::ConvTranspose2dInput<Spec, In>) > 0);
  static constexpr int Ho_raw = kernels::conv_transpose_out_size(In::height, K, S, P, OP, D);
  static constexpr int Wo_raw = kernels::conv_transpose_out_size(In::width, K, S, P, OP, D);
  static constexpr int Ho = Ho_raw > 0 ? Ho_raw : 1;
  static constexpr int Wo = Wo_raw > 0 ? Wo_raw : 1;

 public:
  using spec = Spec;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = Shape<Cout, Ho, Wo>;
  /// The conv whose backward-data pass is this layer's forward: it maps our output
  /// (Cout x Ho x Wo) to our input (Cin x H x W), with weight (Cin, Cout, K, K).
  static constexpr kernels::ConvGeometry geometry{Cout, Cin, K,  S,          P,
                                                  D,    Ho,  Wo, In::height, In::width};

  explicit ConvTranspose2dLayer(Rng& rng)
      : params_({std::size_t(Cin), std::size_t(Cout), std::size_t(K), std::size_t(K)}, Cout,
                std::size_t(Cout) * K * K, rng) {}

  const Batch<output_shape, T>& forward(const Batch<In, T>& x) {
    const std::size_t n = x.batch_size();
    input_ = &x;
    out_.resize(n);
    kernel_.backward_data(x.data(), params_.weight.data(), out_.data(), n);
    kernels::add_bias(out_.data(), params_.bias.data(), n, Cout, std::size_t(Ho) * Wo);
    return out_;
  }

  const Batch<In, T>& backward(const Batch<output_shape, T>& dy) {
    const std::size_t n = dy.batch_size();
    kernel_.backward_weight(dy.data(), input_->data(), params_.weight_grad.data(), n);
    kernels::bias_backward(dy.data(), params_.bias_grad.data(), n, Cout, std::size_t(Ho) * Wo);
    grad_in_.resize(n);
    kernel_.forward(dy.data(), params_.weight.data(), nullptr, grad_in_.data(), n);
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

  /// Weight (Cin, Cout, K, K) and bias (Cout) and their gradients.
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
