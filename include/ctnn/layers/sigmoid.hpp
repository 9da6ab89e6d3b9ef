#pragma once
/// \file
/// `Sigmoid`: 1 / (1 + exp(-x)), element-wise and stable for large |x|; PyTorch's nn.Sigmoid.
/// Any shape; output shape = input shape.

#include <cstddef>
#include <string>

#include "ctnn/core/init.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/activations.hpp"
#include "ctnn/layers/detail/activation_layer.hpp"

namespace ctnn {

template <ShapeType In, class T>
class SigmoidLayer;

struct Sigmoid {
  static std::string name() { return "Sigmoid"; }
  template <ShapeType In, class T = float>
  using bind = SigmoidLayer<In, T>;
};

template <ShapeType In, class T>
class SigmoidLayer : public detail::ActivationLayer<SigmoidLayer<In, T>, Sigmoid, In, T> {
 public:
  using detail::ActivationLayer<SigmoidLayer, Sigmoid, In, T>::ActivationLayer;

  static void forward_kernel(const T* x, T* y, std::size_t count) {
    kernels::sigmoid_forward(x, y, count);
  }
  /// From the forward output: dx = dy * y * (1 - y).
  static void backward_kernel(const T*, const T* y, const T* dy, T* dx, std::size_t count) {
    kernels::sigmoid_backward(y, dy, dx, count);
  }
};

}  // namespace ctnn
