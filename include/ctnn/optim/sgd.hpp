#pragma once
/// \file
/// `SGD`: stochastic gradient descent with momentum, dampening, Nesterov and weight decay,
/// with torch.optim.SGD's update rule (PyTorch 1.13).

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "ctnn/core/parameter.hpp"
#include "ctnn/kernels/optimizer_updates.hpp"
#include "ctnn/optim/optimizer_buffer.hpp"

namespace ctnn {

struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

template <class T>
class SGD {
 public:
  SGD(ParameterList<T> params, SGDOptions options = {})
      : params_(std::move(params)), options_(options) {
    if (options_.lr < 0) throw std::invalid_argument("SGD: lr must not be negative");
    if (options_.momentum < 0) throw std::invalid_argument("SGD: momentum must not be negative");
    if (options_.nesterov && (options_.momentum <= 0 || options_.dampening != 0))
      throw std::invalid_argument("SGD: Nesterov momentum requires momentum > 0 and dampening 0");
    if (options_.momentum != 0)
      for (const auto& p : params_)
        momentum_.emplace_back(p.size, T(0));
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

  void zero_grad() {
    for (auto& p : params_)
      std::fill(p.grad, p.grad + p.size, T(0));
  }

  const SGDOptions& options() const { return options_; }
  SGDOptions& options() { return options_; }
  const ParameterList<T>& parameters() const { return params_; }
  /// Momentum buffers, one per parameter (empty without momentum): the state a checkpoint saves.
  std::vector<std::vector<T>>& momentum_buffers() { return momentum_; }
  std::size_t step_count() const { return steps_; }
  void set_step_count(std::size_t s) { steps_ = s; }

  /// Every state buffer with a name ("momentum_buffer.<param>"), for checkpoints.
  std::vector<OptimizerBuffer<T>> state_buffers() {
    std::vector<OptimizerBuffer<T>> out;
    for (std::size_t i = 0; i < momentum_.size(); ++i)
      out.push_back({"momentum_buffer." + params_[i].name, &momentum_[i], params_[i].shape});
    return out;
  }
  static constexpr const char* kind = "sgd";

 private:
  ParameterList<T> params_;
  SGDOptions options_;
  std::vector<std::vector<T>> momentum_;
  std::size_t steps_ = 0;
};

}  // namespace ctnn
