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
#include "ctnn/layers/detail/conv_layer.hpp"

namespace ctnn {

template <class Spec, ShapeType In, class T>
class ConvTranspose2dLayer;

namespace diagnose {
/// ConvTranspose2d's own check beyond those of every conv layer (diagnose::ConvArguments).
template <int Stride, int OutputPadding, int Dilation>
struct ConvTranspose2dOutputPadding {
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
  static_assert(
      sizeof(diagnose::ConvArguments<ConvTranspose2d, Cin, Cout, K, Stride, Padding, Dilation>) >
      0);
  static_assert(sizeof(diagnose::ConvTranspose2dOutputPadding<Stride, OutputPadding, Dilation>) >
                0);
  static constexpr int in_channels = Cin, out_channels = Cout, kernel = K, stride = Stride,
                       padding = Padding, output_padding = OutputPadding, dilation = Dilation;

  static std::string name() {
    return "ConvTranspose2d<" +
           detail::join_ints({Cin, Cout, K, Stride, Padding, OutputPadding, Dilation}) + ">";
  }

  template <ShapeType In, class T = float>
  using bind = ConvTranspose2dLayer<ConvTranspose2d, In, T>;
};

namespace detail {
/// ConvTranspose2d `Spec`'s output shape, and the geometry of the conv whose backward-data pass
/// is its forward: that conv maps our output (Cout x Ho x Wo) to our input (Cin x H x W), with
/// weight (Cin, Cout, K, K).
template <class Spec, ShapeType In>
struct ConvTranspose2dGeometry {
  // Checked in a struct of its own so the compiler's "In instantiation of" line names the
  // layer and its input shape; the sizes below do not read from it (see diagnose:: in
  // core/layer.hpp).
  static_assert(sizeof(diagnose::ConvTranspose2dInput<Spec, In>) > 0);
  static constexpr int Ho_raw = kernels::conv_transpose_out_size(
      In::height, Spec::kernel, Spec::stride, Spec::padding, Spec::output_padding, Spec::dilation);
  static constexpr int Wo_raw = kernels::conv_transpose_out_size(
      In::width, Spec::kernel, Spec::stride, Spec::padding, Spec::output_padding, Spec::dilation);
  static constexpr int Ho = Ho_raw > 0 ? Ho_raw : 1;
  static constexpr int Wo = Wo_raw > 0 ? Wo_raw : 1;
  using output_shape = Shape<Spec::out_channels, Ho, Wo>;
  static constexpr kernels::ConvGeometry geometry{
      Spec::out_channels, Spec::in_channels, Spec::kernel, Spec::stride,
      Spec::padding,      Spec::dilation,    Ho,           Wo,
      In::height,         In::width};
};
}  // namespace detail

/// ConvTranspose2d bound to input shape In: its forward is the conv's backward-data pass plus
/// the bias, its backward-data the conv's forward, its weight gradient the conv's with x and dy
/// swapped.
template <class Spec, ShapeType In, class T>
class ConvTranspose2dLayer
    : public detail::ConvLayer<ConvTranspose2dLayer<Spec, In, T>, Spec, In,
                               typename detail::ConvTranspose2dGeometry<Spec, In>::output_shape, T,
                               detail::ConvTranspose2dGeometry<Spec, In>::geometry> {
  using base = detail::ConvLayer<ConvTranspose2dLayer, Spec, In,
                                 typename detail::ConvTranspose2dGeometry<Spec, In>::output_shape,
                                 T, detail::ConvTranspose2dGeometry<Spec, In>::geometry>;
  friend base;
  using out = typename base::output_shape;
  static constexpr std::size_t Cin = Spec::in_channels, Cout = Spec::out_channels, K = Spec::kernel;

 public:
  explicit ConvTranspose2dLayer(Rng& rng) : base({Cin, Cout, K, K}, Cout * K * K, rng) {}

 private:
  void forward_pass(const T* x, T* y, std::size_t n) {
    this->kernel_.backward_data(x, this->weight_.data(), y, n);
    kernels::add_bias(y, this->bias_.data(), n, Cout, std::size_t(out::height) * out::width);
  }
  void weight_gradient_pass(const T* x, const T* dy, std::size_t n) {
    this->kernel_.backward_weight(dy, x, this->weight_grad_.data(), n);
  }
  void data_gradient_pass(const T* dy, T* dx, std::size_t n) {
    this->kernel_.forward(dy, this->weight_.data(), nullptr, dx, n);
  }
};

}  // namespace ctnn
