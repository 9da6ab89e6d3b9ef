#pragma once
/// \file
/// `Adam` with torch.optim.Adam's update rule (PyTorch 1.13, amsgrad off, L2 weight decay added
/// to the gradient).

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "ctnn/core/parameter.hpp"
#include "ctnn/kernels/optimizer_updates.hpp"
#include "ctnn/optim/optimizer.hpp"

namespace ctnn {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

template <class T>
class Adam : public OptimizerBase<T, AdamOptions> {
  using base = OptimizerBase<T, AdamOptions>;
  using base::options_;
  using base::params_;
  using base::steps_;

 public:
  static constexpr const char* kind = "adam";

  Adam(ParameterList<T> params, AdamOptions options = {})
      : base(std::move(params), options, "Adam") {
    if (options_.eps < 0) throw std::invalid_argument("Adam: eps must not be negative");
    if (options_.beta1 < 0 || options_.beta1 >= 1 || options_.beta2 < 0 || options_.beta2 >= 1)
      throw std::invalid_argument("Adam: betas must be in [0, 1)");
    exp_avg_ = this->zero_buffers();
    exp_avg_sq_ = this->zero_buffers();
  }

  void step() {
    ++steps_;
    // Bias corrections in double, as PyTorch computes them in Python floats.
    const double bc1 = 1.0 - std::pow(options_.beta1, double(steps_));
    const double bc2_sqrt = std::sqrt(1.0 - std::pow(options_.beta2, double(steps_)));
    for (std::size_t i = 0; i < params_.size(); ++i) {
      auto& p = params_[i];
      kernels::adam_update(p.value, p.grad, exp_avg_[i].data(), exp_avg_sq_[i].data(), p.size,
                           T(options_.lr), T(options_.beta1), T(options_.beta2), T(options_.eps),
                           T(options_.weight_decay), T(bc1), T(bc2_sqrt));
    }
  }

  /// First and second moments per parameter: with the step count, the state a checkpoint saves.
  std::vector<std::vector<T>>& exp_avg() { return exp_avg_; }
  std::vector<std::vector<T>>& exp_avg_sq() { return exp_avg_sq_; }

  /// Every state buffer with a name ("exp_avg.<param>", "exp_avg_sq.<param>"), for checkpoints.
  std::vector<OptimizerBuffer<T>> state_buffers() {
    std::vector<OptimizerBuffer<T>> out;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      out.push_back({"exp_avg." + params_[i].name, &exp_avg_[i], params_[i].shape});
      out.push_back({"exp_avg_sq." + params_[i].name, &exp_avg_sq_[i], params_[i].shape});
    }
    return out;
  }

 private:
  std::vector<std::vector<T>> exp_avg_, exp_avg_sq_;
};

static_assert(Optimizer<Adam<float>> && Optimizer<Adam<double>>);

}  // namespace ctnn
