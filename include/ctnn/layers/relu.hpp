#pragma once
/// \file
/// `ReLU`: max(x, 0), element-wise; PyTorch's nn.ReLU. Any shape; output shape = input shape.

#include <string>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/activations.hpp"

namespace ctnn {

template <ShapeType In, class T>
class ReLULayer;

struct ReLU {
  static std::string name() { return "ReLU"; }
  template <ShapeType In, class T = float>
  using bind = ReLULayer<In, T>;
};

template <ShapeType In, class T>
class ReLULayer {
 public:
  using spec = ReLU;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = In;

  explicit ReLULayer(Rng&) {}

  const Batch<In, T>& forward(const Batch<In, T>& x) {
    input_ = &x;
    out_.resize(x.batch_size());
    kernels::relu_forward(x.data(), out_.data(), x.size());
    return out_;
  }
  const Batch<In, T>& backward(const Batch<In, T>& dy) {
    grad_in_.resize(dy.batch_size());
    kernels::relu_backward(input_->data(), dy.data(), grad_in_.data(), dy.size());
    return grad_in_;
  }
  void zero_grad() {}
  void collect_parameters(ParameterList<T>&, const std::string&) {}

 private:
  Batch<In, T> out_, grad_in_;
  const Batch<In, T>* input_ = nullptr;
};

}  // namespace ctnn
