#pragma once
/// \file
/// `Sigmoid`: 1 / (1 + exp(-x)), element-wise and stable for large |x|; PyTorch's nn.Sigmoid.
/// Any shape; output shape = input shape.

#include <string>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/activations.hpp"

namespace ctnn {

template <ShapeType In, class T>
class SigmoidLayer;

struct Sigmoid {
  static std::string name() { return "Sigmoid"; }
  template <ShapeType In, class T = float>
  using bind = SigmoidLayer<In, T>;
};

template <ShapeType In, class T>
class SigmoidLayer {
 public:
  using spec = Sigmoid;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = In;

  explicit SigmoidLayer(Rng&) {}

  const Batch<In, T>& forward(const Batch<In, T>& x) {
    out_.resize(x.batch_size());
    kernels::sigmoid_forward(x.data(), out_.data(), x.size());
    return out_;
  }
  /// Uses the forward output: dx = dy * y * (1 - y).
  const Batch<In, T>& backward(const Batch<In, T>& dy) {
    grad_in_.resize(dy.batch_size());
    kernels::sigmoid_backward(out_.data(), dy.data(), grad_in_.data(), dy.size());
    return grad_in_;
  }
  void zero_grad() {}
  void collect_parameters(ParameterList<T>&, const std::string&) {}

 private:
  Batch<In, T> out_, grad_in_;
};

}  // namespace ctnn
