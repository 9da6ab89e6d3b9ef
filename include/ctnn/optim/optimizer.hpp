#pragma once
/// \file
/// What an optimizer is (the `Optimizer` concept, which training checkpoints rely on) and the
/// bookkeeping every optimizer shares (`OptimizerBase`). A new optimizer is one header: derive
/// from OptimizerBase, add `step()`, `state_buffers()` and `kind`. docs/design.md has more.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctnn/core/parameter.hpp"

namespace ctnn {

/// A named optimizer state buffer (Adam's moments, SGD's momentum), as checkpoints see it.
template <class T>
struct OptimizerBuffer {
  std::string name;                ///< e.g. "exp_avg.0.weight"
  std::vector<T>* values;          ///< the buffer (sized like its parameter)
  std::vector<std::size_t> shape;  ///< its parameter's shape
};

/// An optimizer of parameters of scalar type `scalar_type`:
///  - `step()` updates every parameter from its gradient; `zero_grad()` zeroes the gradients;
///  - `parameters()` the parameters it updates;
///  - `state_buffers()` every per-parameter state buffer, named ("exp_avg.0.weight"), which a
///    training checkpoint saves and restores; `step_count()` / `set_step_count()` the steps
///    taken, also saved;
///  - `kind`, its name in checkpoints ("adam"), so a state is never resumed by another kind.
template <class O>
concept Optimizer = requires(O& opt, const O& const_opt, std::size_t steps) {
  typename O::scalar_type;
  requires std::convertible_to<decltype(O::kind), std::string_view>;
  opt.step();
  opt.zero_grad();
  { const_opt.parameters() } -> std::same_as<const ParameterList<typename O::scalar_type>&>;
  { opt.state_buffers() } -> std::same_as<std::vector<OptimizerBuffer<typename O::scalar_type>>>;
  { const_opt.step_count() } -> std::same_as<std::size_t>;
  opt.set_step_count(steps);
};

/// The parameters, the options, the step count and the per-parameter state buffers of an
/// optimizer, with what every optimizer does with them. `Options` must have a `double lr`.
template <class T, class Options>
class OptimizerBase {
 public:
  using scalar_type = T;
  using options_type = Options;

  /// Sets every parameter's gradient to zero.
  void zero_grad() {
    for (auto& p : params_)
      std::fill(p.grad, p.grad + p.size, T(0));
  }

  const Options& options() const { return options_; }
  /// The options may change between steps (a learning-rate schedule sets `lr`).
  Options& options() { return options_; }
  const ParameterList<T>& parameters() const { return params_; }
  std::size_t step_count() const { return steps_; }
  void set_step_count(std::size_t s) { steps_ = s; }

 protected:
  /// `who` names the optimizer in the error for a negative learning rate.
  OptimizerBase(ParameterList<T> params, Options options, const char* who)
      : params_(std::move(params)), options_(options) {
    if (options_.lr < 0)
      throw std::invalid_argument(std::string(who) + ": lr must not be negative");
  }

  /// One zero buffer per parameter, sized like it.
  std::vector<std::vector<T>> zero_buffers() const {
    std::vector<std::vector<T>> out;
    for (const auto& p : params_)
      out.emplace_back(p.size, T(0));
    return out;
  }
  ParameterList<T> params_;
  Options options_;
  std::size_t steps_ = 0;
};

}  // namespace ctnn
