#pragma once
/// \file
/// What the element-wise activations (ReLU, Sigmoid) share: shapes, buffers and the
/// forward/backward bookkeeping. Each activation adds its two kernel calls.

#include <cstddef>
#include <string>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"

namespace ctnn::detail {

/// A parameterless element-wise layer: output shape = input shape. `Derived` provides
///   static void forward_kernel(const T* x, T* y, std::size_t count);
///   static void backward_kernel(const T* x, const T* y, const T* dy, T* dx, std::size_t count);
/// (backward gets both the forward's input x and output y: ReLU needs x, Sigmoid y).
template <class Derived, class Spec, ShapeType In, class T>
class ActivationLayer {
 public:
  using spec = Spec;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = In;

  explicit ActivationLayer(Rng&) {}

  const Batch<In, T>& forward(const Batch<In, T>& x) {
    input_ = &x;
    out_.resize(x.batch_size());
    Derived::forward_kernel(x.data(), out_.data(), x.size());
    return out_;
  }
  const Batch<In, T>& backward(const Batch<In, T>& dy) {
    grad_in_.resize(dy.batch_size());
    Derived::backward_kernel(input_->data(), out_.data(), dy.data(), grad_in_.data(), dy.size());
    return grad_in_;
  }
  void zero_grad() {}
  void collect_parameters(ParameterList<T>&, const std::string&) {}

 private:
  Batch<In, T> out_, grad_in_;
  const Batch<In, T>* input_ = nullptr;
};

}  // namespace ctnn::detail
