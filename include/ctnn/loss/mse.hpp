#pragma once
/// \file
/// `MSELoss<S, T>`: mean squared error over all elements, PyTorch's nn.MSELoss() (reduction
/// 'mean'). The gradient w.r.t. the prediction is 2 (y - t) / n, n = N * C * H * W.

#include <cstddef>
#include <type_traits>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/error.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/loss.hpp"

namespace ctnn {

template <ShapeType S, class T = float>
class MSELoss {
 public:
  using shape_type = S;

  /// Loss of prediction y against target t (same shape, same batch size). Remembers both for
  /// backward().
  template <ShapeType TargetShape>
  T forward(const Batch<S, T>& y, const Batch<TargetShape, T>& t) {
    static_assert(std::is_same_v<S, TargetShape>,
                  "MSELoss: the target's per-sample shape differs from the prediction's (the "
                  "network's output_shape)");
    if constexpr (std::is_same_v<S, TargetShape>) {  // else: the assertion above is the error
      if (y.batch_size() != t.batch_size())
        throw ShapeError("MSELoss: prediction has " + std::to_string(y.batch_size()) +
                         " samples but the target has " + std::to_string(t.batch_size()));
      y_ = &y;
      t_ = &t;
      return static_cast<T>(kernels::mse_forward(y.data(), t.data(), y.size()));
    } else {
      return T(0);
    }
  }

  /// dL/dy of the last forward, times `scale` (1 by default). The buffer is reused.
  const Batch<S, T>& backward(T scale = T(1)) {
    grad_.resize(y_->batch_size());
    kernels::mse_backward(y_->data(), t_->data(), grad_.data(), y_->size(), scale);
    return grad_;
  }

 private:
  const Batch<S, T>* y_ = nullptr;
  const Batch<S, T>* t_ = nullptr;
  Batch<S, T> grad_;
};

/// The mean squared error of y against t, without gradient.
template <ShapeType S, ShapeType S2, class T>
T mse(const Batch<S, T>& y, const Batch<S2, T>& t) {
  static_assert(std::is_same_v<S, S2>,
                "mse: the target's per-sample shape differs from the prediction's");
  if (y.batch_size() != t.batch_size())
    throw ShapeError("mse: prediction has " + std::to_string(y.batch_size()) +
                     " samples but the target has " + std::to_string(t.batch_size()));
  return static_cast<T>(kernels::mse_forward(y.data(), t.data(), y.size()));
}

}  // namespace ctnn
