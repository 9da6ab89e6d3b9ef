#pragma once
/// \file
/// Weight + bias storage shared by the conv layers: values, gradients, PyTorch-style
/// initialisation and naming.

#include <array>
#include <cmath>
#include <cstddef>
#include <string>

#include <xtensor/xtensor.hpp>

#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"

namespace ctnn::detail {

template <class T>
struct WeightBias {
  xt::xtensor<T, 4> weight, weight_grad;
  xt::xtensor<T, 1> bias, bias_grad;

  /// `shape` is PyTorch's weight layout; `fan_in` as PyTorch computes it
  /// (weight.size(1) * K * K), so both weight and bias are uniform in +-1/sqrt(fan_in).
  WeightBias(std::array<std::size_t, 4> shape, std::size_t bias_size, std::size_t fan_in, Rng& rng)
      : weight(shape, T(0)),
        weight_grad(shape, T(0)),
        bias(std::array<std::size_t, 1>{bias_size}, T(0)),
        bias_grad(std::array<std::size_t, 1>{bias_size}, T(0)) {
    const double bound = 1.0 / std::sqrt(double(fan_in));
    init_uniform(weight.data(), weight.size(), bound, rng);
    init_uniform(bias.data(), bias.size(), bound, rng);
  }

  void zero_grad() {
    weight_grad.fill(T(0));
    bias_grad.fill(T(0));
  }

  void collect(ParameterList<T>& out, const std::string& prefix) {
    out.push_back({prefix + "weight",
                   weight.data(),
                   weight_grad.data(),
                   weight.size(),
                   {weight.shape().begin(), weight.shape().end()}});
    out.push_back({prefix + "bias", bias.data(), bias_grad.data(), bias.size(), {bias.size()}});
  }
};

}  // namespace ctnn::detail
