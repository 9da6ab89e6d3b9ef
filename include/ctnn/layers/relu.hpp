#pragma once
/// \file
/// `ReLU`: max(x, 0), element-wise; PyTorch's nn.ReLU. Any shape; output shape = input shape.

#include <cstddef>
#include <string>

#include "ctnn/core/init.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/activations.hpp"
#include "ctnn/layers/detail/activation_layer.hpp"

namespace ctnn {

template <ShapeType In, class T>
class ReLULayer;

struct ReLU {
  static std::string name() { return "ReLU"; }
  template <ShapeType In, class T = float>
  using bind = ReLULayer<In, T>;
};

template <ShapeType In, class T>
class ReLULayer : public detail::ActivationLayer<ReLULayer<In, T>, ReLU, In, T> {
 public:
  using detail::ActivationLayer<ReLULayer, ReLU, In, T>::ActivationLayer;

  static void forward_kernel(const T* x, T* y, std::size_t count) {
    kernels::relu_forward(x, y, count);
  }
  /// From the forward input: dx = dy where x > 0, else 0.
  static void backward_kernel(const T* x, const T*, const T* dy, T* dx, std::size_t count) {
    kernels::relu_backward(x, dy, dx, count);
  }
};

}  // namespace ctnn
