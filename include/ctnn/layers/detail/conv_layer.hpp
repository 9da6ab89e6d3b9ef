#pragma once
/// \file
/// What Conv2d and ConvTranspose2d share: the argument checks of their specs, and the bound
/// layer's weight and bias (values, gradients, PyTorch's initialisation and names), its conv
/// kernel and buffers, and the forward/backward bookkeeping. Each layer adds only its geometry
/// and its three kernel calls.

#include <array>
#include <cmath>
#include <cstddef>
#include <string>

#include <xtensor/xtensor.hpp>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/conv.hpp"
#include "ctnn/kernels/tensor_ops.hpp"

namespace ctnn {

namespace diagnose {
/// The checks of a conv spec's own arguments. `Spec` is there to be named by the compiler's "In
/// instantiation of" line (`ConvArguments<ctnn::Conv2d<3, 8, 3, 0>, ...>`); nothing reads it.
template <class Spec, int Cin, int Cout, int K, int Stride, int Padding, int Dilation>
struct ConvArguments {
  static_assert(Cin > 0, "conv layer: Cin (input channels, first argument) must be positive");
  static_assert(Cout > 0, "conv layer: Cout (output channels, second argument) must be positive");
  static_assert(K > 0, "conv layer: K (kernel size, third argument) must be positive");
  static_assert(Stride > 0, "conv layer: Stride must be positive");
  static_assert(Padding >= 0, "conv layer: Padding must not be negative");
  static_assert(Dilation > 0, "conv layer: Dilation must be positive");
};
}  // namespace diagnose

namespace detail {

/// The bound conv layer's state and bookkeeping. `Derived` provides the three passes, each a
/// kernel call (plus the bias where the kernel does not add it):
///   forward_pass(x, y, n), weight_gradient_pass(x, dy, n), data_gradient_pass(dy, dx, n).
/// `weight_shape` is PyTorch's layout; `fan_in` as PyTorch computes it (weight.size(1) * K * K),
/// so weight and bias are both uniform in +-1/sqrt(fan_in).
template <class Derived, class Spec, ShapeType In, ShapeType Out, class T, kernels::ConvGeometry G>
class ConvLayer : public WithParameters<ConvLayer<Derived, Spec, In, Out, T, G>, T> {
 public:
  using spec = Spec;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = Out;
  static constexpr kernels::ConvGeometry geometry = G;

  ConvLayer(std::array<std::size_t, 4> weight_shape, std::size_t fan_in, Rng& rng)
      : weight_(weight_shape, T(0)),
        weight_grad_(weight_shape, T(0)),
        bias_(std::array<std::size_t, 1>{std::size_t(Out::channels)}, T(0)),
        bias_grad_(std::array<std::size_t, 1>{std::size_t(Out::channels)}, T(0)) {
    const double bound = 1.0 / std::sqrt(double(fan_in));
    init_uniform(weight_.data(), weight_.size(), bound, rng);
    init_uniform(bias_.data(), bias_.size(), bound, rng);
  }

  const Batch<Out, T>& forward(const Batch<In, T>& x) {
    input_ = &x;
    out_.resize(x.batch_size());
    derived().forward_pass(x.data(), out_.data(), x.batch_size());
    return out_;
  }

  const Batch<In, T>& backward(const Batch<Out, T>& dy) {
    backward_parameters(dy);
    const std::size_t n = dy.batch_size();
    grad_in_.resize(n);
    derived().data_gradient_pass(dy.data(), grad_in_.data(), n);
    return grad_in_;
  }

  /// backward without the input gradient: what a network's first layer needs (its input is the
  /// data), and a third of the layer's backward work.
  void backward_parameters(const Batch<Out, T>& dy) {
    const std::size_t n = dy.batch_size();
    derived().weight_gradient_pass(input_->data(), dy.data(), n);
    kernels::bias_backward(dy.data(), bias_grad_.data(), n, Out::channels,
                           std::size_t(Out::height) * Out::width);
  }

  void zero_grad() {
    weight_grad_.fill(T(0));
    bias_grad_.fill(T(0));
  }
  void collect_parameters(ParameterList<T>& out, const std::string& prefix) {
    out.push_back({prefix + "weight",
                   weight_.data(),
                   weight_grad_.data(),
                   weight_.size(),
                   {weight_.shape().begin(), weight_.shape().end()}});
    out.push_back({prefix + "bias", bias_.data(), bias_grad_.data(), bias_.size(), {bias_.size()}});
  }

  /// The weight in PyTorch's layout and the bias (Cout), and their gradients.
  xt::xtensor<T, 4>& weight() { return weight_; }
  xt::xtensor<T, 1>& bias() { return bias_; }
  const xt::xtensor<T, 4>& weight_grad() const { return weight_grad_; }
  const xt::xtensor<T, 1>& bias_grad() const { return bias_grad_; }

 protected:
  xt::xtensor<T, 4> weight_, weight_grad_;
  xt::xtensor<T, 1> bias_, bias_grad_;
  kernels::ConvKernel<G, T> kernel_;

 private:
  Derived& derived() { return static_cast<Derived&>(*this); }

  Batch<Out, T> out_;
  Batch<In, T> grad_in_;
  const Batch<In, T>* input_ = nullptr;
};

}  // namespace detail
}  // namespace ctnn
