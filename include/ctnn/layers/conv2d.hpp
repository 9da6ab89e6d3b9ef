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
#include "ctnn/layers/detail/conv_layer.hpp"

namespace ctnn {

template <class Spec, ShapeType In, class T>
class Conv2dLayer;

namespace diagnose {
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
  static_assert(sizeof(diagnose::ConvArguments<Conv2d, Cin, Cout, K, Stride, Padding, Dilation>) >
                0);
  static constexpr int in_channels = Cin, out_channels = Cout, kernel = K, stride = Stride,
                       padding = Padding, dilation = Dilation;

  /// "Conv2d<3,32,3,1,0,1>": the spec in canonical form (recorded in checkpoints).
  static std::string name() {
    return "Conv2d<" + detail::join_ints({Cin, Cout, K, Stride, Padding, Dilation}) + ">";
  }

  template <ShapeType In, class T = float>
  using bind = Conv2dLayer<Conv2d, In, T>;
};

namespace detail {
/// Conv2d `Spec`'s output shape and kernel geometry on input shape `In`.
template <class Spec, ShapeType In>
struct Conv2dGeometry {
  // Checked in a struct of its own so the compiler's "In instantiation of" line names the
  // layer and its input shape; the sizes below do not read from it (see diagnose:: in
  // core/layer.hpp). (A Stride < 1 has been reported by the spec's check; 1 here avoids a
  // division by zero.)
  static_assert(sizeof(diagnose::Conv2dInput<Spec, In>) > 0);
  static constexpr int S = Spec::stride > 0 ? Spec::stride : 1;
  static constexpr bool fits_h =
      kernels::conv_fits(In::height, Spec::kernel, Spec::padding, Spec::dilation);
  static constexpr bool fits_w =
      kernels::conv_fits(In::width, Spec::kernel, Spec::padding, Spec::dilation);
  static constexpr int Ho =
      fits_h ? kernels::conv_out_size(In::height, Spec::kernel, S, Spec::padding, Spec::dilation)
             : 1;
  static constexpr int Wo =
      fits_w ? kernels::conv_out_size(In::width, Spec::kernel, S, Spec::padding, Spec::dilation)
             : 1;
  using output_shape = Shape<Spec::out_channels, Ho, Wo>;
  static constexpr kernels::ConvGeometry geometry{
      Spec::in_channels, Spec::out_channels, Spec::kernel, S,  Spec::padding,
      Spec::dilation,    In::height,         In::width,    Ho, Wo};
};
}  // namespace detail

/// Conv2d bound to input shape In: the conv kernel's forward, backward-data and
/// backward-weight passes.
template <class Spec, ShapeType In, class T>
class Conv2dLayer
    : public detail::ConvLayer<Conv2dLayer<Spec, In, T>, Spec, In,
                               typename detail::Conv2dGeometry<Spec, In>::output_shape, T,
                               detail::Conv2dGeometry<Spec, In>::geometry> {
  using base = detail::ConvLayer<Conv2dLayer, Spec, In,
                                 typename detail::Conv2dGeometry<Spec, In>::output_shape, T,
                                 detail::Conv2dGeometry<Spec, In>::geometry>;
  friend base;
  static constexpr std::size_t Cin = Spec::in_channels, Cout = Spec::out_channels, K = Spec::kernel;

 public:
  explicit Conv2dLayer(Rng& rng) : base({Cout, Cin, K, K}, Cin * K * K, rng) {}

 private:
  void forward_pass(const T* x, T* y, std::size_t n) {
    this->kernel_.forward(x, this->weight_.data(), this->bias_.data(), y, n);
  }
  void weight_gradient_pass(const T* x, const T* dy, std::size_t n) {
    this->kernel_.backward_weight(x, dy, this->weight_grad_.data(), n);
  }
  void data_gradient_pass(const T* dy, T* dx, std::size_t n) {
    this->kernel_.backward_data(dy, this->weight_.data(), dx, n);
  }
};

}  // namespace ctnn
