#pragma once
// The finite-difference gradient check every layer goes through (after dlib's test_layer and
// tiny-dnn's gradient_check): in double precision, f(x) = sum(layer(x) * g) for a random g, so
// df/dx = backward(g) and df/dtheta = the accumulated parameter gradient.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <catch2/catch.hpp>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/layer.hpp"

namespace ctnn::test {

struct GradientCheckOptions {
  std::size_t batch = 2;
  double step = 1e-6;
  double tolerance = 1e-6;       ///< absolute, plus the same relative
  std::size_t max_points = 300;  ///< checked elements per tensor (evenly spread)
  double min_abs_input = 0.0;    ///< push inputs away from kinks (ReLU at 0)
};

template <class L>
double objective(L& layer, const Batch<typename L::input_shape, double>& x,
                 const Batch<typename L::output_shape, double>& g) {
  const auto& y = layer.forward(x);
  double s = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    s += y.data()[i] * g.data()[i];
  return s;
}

/// Checks input and parameter gradients of bound layer L (scalar double) at a random point.
template <Layer L>
void check_gradients(std::uint64_t seed, GradientCheckOptions opt = {}) {
  static_assert(std::is_same_v<typename L::scalar_type, double>,
                "gradient checks run in double precision");
  Rng rng{seed};
  L layer(rng);
  Batch<typename L::input_shape, double> x(opt.batch);
  Batch<typename L::output_shape, double> g(opt.batch);
  for (std::size_t i = 0; i < x.size(); ++i) {
    double v = rng.normal();
    if (std::abs(v) < opt.min_abs_input) v = v < 0 ? v - opt.min_abs_input : v + opt.min_abs_input;
    x.data()[i] = v;
  }
  for (std::size_t i = 0; i < g.size(); ++i)
    g.data()[i] = rng.normal();

  layer.zero_grad();
  layer.forward(x);
  const auto& gx_ref = layer.backward(g);
  const std::vector<double> gx(gx_ref.data(), gx_ref.data() + gx_ref.size());

  ParameterList<double> params;
  layer.collect_parameters(params, "");
  std::vector<std::vector<double>> gp;
  for (const auto& p : params)
    gp.emplace_back(p.grad, p.grad + p.size);

  auto check_tensor = [&](double* values, std::size_t n, const std::vector<double>& analytic,
                          const std::string& what) {
    const std::size_t stride = std::max<std::size_t>(1, n / opt.max_points);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < n; i += stride) {
      const double saved = values[i];
      values[i] = saved + opt.step;
      const double fp = objective(layer, x, g);
      values[i] = saved - opt.step;
      const double fm = objective(layer, x, g);
      values[i] = saved;
      const double numeric = (fp - fm) / (2 * opt.step);
      if (!(std::abs(numeric - analytic[i]) <= opt.tolerance * (1 + std::abs(numeric)))) {
        if (bad++ < 5)
          UNSCOPED_INFO(what << "[" << i << "]: analytic " << analytic[i] << ", numeric "
                             << numeric);
      }
    }
    INFO(what << ": " << bad << " mismatches");
    CHECK(bad == 0);
  };
  check_tensor(x.data(), x.size(), gx, "input");
  for (std::size_t k = 0; k < params.size(); ++k)
    check_tensor(params[k].value, params[k].size, gp[k], "parameter " + params[k].name);
}

}  // namespace ctnn::test
