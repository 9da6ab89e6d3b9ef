#pragma once
/// \file
/// `MaxPool2d<K, Stride = K, Padding = 0>`: PyTorch's nn.MaxPool2d(K, Stride, Padding) (dilation
/// 1, ceil_mode false). C x H x W -> C x H' x W', H' = floor((H + 2 Padding - K) / Stride) + 1.
/// Padding acts as -infinity; ties go to the first maximum of the window (row by row) and a NaN
/// is the maximum, as in PyTorch, so the gradient goes where PyTorch sends it.

#include <climits>
#include <cstddef>
#include <string>
#include <vector>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/layer.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/conv_geometry.hpp"
#include "ctnn/kernels/pooling.hpp"

namespace ctnn {

template <class Spec, ShapeType In, class T>
class MaxPool2dLayer;

namespace diagnose {
/// The checks of MaxPool2d's own arguments. `Spec` is there to be named by the compiler's "In
/// instantiation of" line (`MaxPool2dArguments<ctnn::MaxPool2d<3, 1, 2>, ...>`); nothing reads
/// it.
template <class Spec, int K, int Stride, int Padding>
struct MaxPool2dArguments {
  static_assert(K > 0, "MaxPool2d: K (the window size, first argument) must be positive");
  static_assert(Stride > 0, "MaxPool2d: Stride must be positive");
  static_assert(Padding >= 0, "MaxPool2d: Padding must not be negative");
  static_assert(Padding <= K / 2,
                "MaxPool2d: Padding must be at most half the window, K / 2 (rounded down), as "
                "PyTorch requires");
};

/// The shape checks of MaxPool2d `Spec` applied to input shape `In`.
template <class Spec, ShapeType In>
struct MaxPool2dInput {
  // (A negative Padding has been reported by the spec's check; 0 here avoids a second error.)
  static constexpr int P = Spec::padding > 0 ? Spec::padding : 0;
  static_assert(kernels::conv_fits(In::height, Spec::kernel, P, 1) &&
                    kernels::conv_fits(In::width, Spec::kernel, P, 1),
                "MaxPool2d: the output would be empty: the window K is larger than the padded "
                "input height or width, H+2*Padding or W+2*Padding");
  static_assert(std::size_t(In::height) * std::size_t(In::width) <= std::size_t(INT_MAX),
                "MaxPool2d: an input plane (H*W) must have fewer than 2^31 elements");
};
}  // namespace diagnose

/// Max pooling over K x K windows, stride Stride (K by default), padding Padding (at most
/// K / 2). No parameters.
template <int K, int Stride = K, int Padding = 0>
struct MaxPool2d {
  static_assert(sizeof(diagnose::MaxPool2dArguments<MaxPool2d, K, Stride, Padding>) > 0);
  static constexpr int kernel = K, stride = Stride, padding = Padding;

  /// "MaxPool2d<2,2,0>": the spec in canonical form (recorded in checkpoints).
  static std::string name() { return "MaxPool2d<" + detail::join_ints({K, Stride, Padding}) + ">"; }

  template <ShapeType In, class T = float>
  using bind = MaxPool2dLayer<MaxPool2d, In, T>;
};

namespace detail {
/// MaxPool2d `Spec`'s kernel geometry on input shape `In`.
template <class Spec, ShapeType In>
struct MaxPool2dGeometryOf {
  // Checked in a struct of its own so the compiler's "In instantiation of" line names the
  // layer and its input shape; the sizes below do not read from it. (Bad arguments have been
  // reported by the spec's check; the values here avoid errors of their own.)
  static_assert(sizeof(diagnose::MaxPool2dInput<Spec, In>) > 0);
  static constexpr int K = Spec::kernel > 0 ? Spec::kernel : 1;
  static constexpr int S = Spec::stride > 0 ? Spec::stride : 1;
  static constexpr int P = Spec::padding > 0 ? Spec::padding : 0;
  static constexpr bool fits =
      kernels::conv_fits(In::height, K, P, 1) && kernels::conv_fits(In::width, K, P, 1);
  using type = kernels::MaxPool2dGeometry<fits ? K : 1, S, fits ? P : 0, In::height, In::width>;
};
}  // namespace detail

/// MaxPool2d bound to input shape In. Owns its output, its input gradient and the argmax of
/// every window (reused from step to step: no allocation once the batch size is set).
template <class Spec, ShapeType In, class T>
class MaxPool2dLayer {
  using G = typename detail::MaxPool2dGeometryOf<Spec, In>::type;

 public:
  using spec = Spec;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = Shape<In::channels, G::out_h, G::out_w>;

  explicit MaxPool2dLayer(Rng&) {}

  const Batch<output_shape, T>& forward(const Batch<In, T>& x) {
    out_.resize(x.batch_size());
    argmax_.resize(out_.size());
    kernels::max_pool2d_forward<G>(x.data(), out_.data(), argmax_.data(),
                                   x.batch_size() * In::channels);
    return out_;
  }
  /// dx is zero except at the element each window picked, which gets that window's dy (summed
  /// where overlapping windows picked the same element).
  const Batch<In, T>& backward(const Batch<output_shape, T>& dy) {
    grad_in_.resize(dy.batch_size());
    kernels::max_pool2d_backward<G>(dy.data(), argmax_.data(), grad_in_.data(),
                                    dy.batch_size() * In::channels);
    return grad_in_;
  }
  void zero_grad() {}
  void collect_parameters(ParameterList<T>&, const std::string&) {}

 private:
  Batch<output_shape, T> out_;
  Batch<In, T> grad_in_;
  std::vector<kernels::PoolIndex> argmax_;
};

}  // namespace ctnn
