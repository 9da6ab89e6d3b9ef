#pragma once
/// \file
/// `SGD`: stochastic gradient descent with momentum, dampening, Nesterov and weight decay,
/// with torch.optim.SGD's update rule (PyTorch 1.13).

#include <cstddef>
#include <stdexcept>
#include <vector>

#include "ctnn/core/parameter.hpp"
#include "ctnn/kernels/optimizer_updates.hpp"
#include "ctnn/optim/optimizer.hpp"

namespace ctnn {

struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

template <class T>
class SGD : public OptimizerBase<T, SGDOptions> {
  using base = OptimizerBase<T, SGDOptions>;
  using base::options_;
  using base::params_;
  using base::steps_;

 public:
  static constexpr const char* kind = "sgd";

  SGD(ParameterList<T> params, SGDOptions options = {}) : base(std::move(params), options, "SGD") {
    if (options_.momentum < 0) throw std::invalid_argument("SGD: momentum must not be negative");
    if (options_.nesterov && (options_.momentum <= 0 || options_.dampening != 0))
      throw std::invalid_argument("SGD: Nesterov momentum requires momentum > 0 and dampening 0");
    if (options_.momentum != 0) momentum_ = this->zero_buffers();
  }

  /// p -= lr * d, with d = grad + wd p, then momentum (buf = m buf + (1 - dampening) d;
  /// the first step sets buf = d).
  void step() {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      auto& p = params_[i];
      kernels::sgd_update(p.value, p.grad, momentum_.empty() ? nullptr : momentum_[i].data(),
                          p.size, T(options_.lr), T(options_.momentum), T(options_.dampening),
                          T(options_.weight_decay), options_.nesterov, steps_ == 0);
    }
    ++steps_;
  }

  /// Momentum buffers, one per parameter (empty without momentum): the state a checkpoint saves.
  std::vector<std::vector<T>>& momentum_buffers() { return momentum_; }

  /// Every state buffer with a name ("momentum_buffer.<param>"), for checkpoints.
  std::vector<OptimizerBuffer<T>> state_buffers() {
    std::vector<OptimizerBuffer<T>> out;
    for (std::size_t i = 0; i < momentum_.size(); ++i)
      out.push_back({"momentum_buffer." + params_[i].name, &momentum_[i], params_[i].shape});
    return out;
  }

 private:
  std::vector<std::vector<T>> momentum_;
};

static_assert(Optimizer<SGD<float>> && Optimizer<SGD<double>>);

}  // namespace ctnn
