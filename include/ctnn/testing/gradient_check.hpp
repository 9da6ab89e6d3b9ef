#pragma once
/// \file
/// The finite-difference gradient check every ctnn layer goes through, public so that a user's
/// own layer is tested the same way (after dlib's test_layer and tiny-dnn's gradient_check).
/// It needs no test framework: it returns what it found, and the caller asserts on it:
///
///     auto result = ctnn::testing::check_gradients<MyLayer<...>::bind<Shape<3, 8, 8>, double>>(1);
///     INFO(result);            // Catch2; or print result.report()
///     CHECK(result.ok());
///
/// The check runs in double precision at a random point: for a random g it takes
/// f(x, theta) = sum(layer(x) * g), so df/dx is backward(g) and df/dtheta the accumulated
/// parameter gradient, and compares both with central differences (f(v + h) - f(v - h)) / 2h.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/layer.hpp"
#include "ctnn/core/parameter.hpp"

namespace ctnn::testing {

struct GradientCheckOptions {
  std::size_t batch = 2;         ///< samples in the random input
  double step = 1e-6;            ///< h of the central difference
  double tolerance = 1e-6;       ///< |analytic - numeric| <= tolerance * (1 + |numeric|)
  std::size_t max_points = 300;  ///< elements checked per tensor (evenly spread)
  double min_abs_input = 0.0;    ///< push inputs at least this far from 0 (ReLU's kink)
};

/// One element whose analytic gradient differs from the numeric one.
struct GradientMismatch {
  std::size_t index = 0;
  double analytic = 0, numeric = 0;
};

/// The check of one tensor: the input ("input") or a parameter ("weight", "0.bias", ...).
struct TensorGradientCheck {
  std::string name;
  std::size_t checked = 0;                  ///< elements compared
  std::size_t mismatches = 0;               ///< of which out of tolerance
  std::vector<GradientMismatch> first_bad;  ///< the first few mismatches
  bool ok() const { return checked > 0 && mismatches == 0; }
};

/// The outcome of check_gradients: one entry for the input, then one per parameter.
struct GradientCheckResult {
  std::vector<TensorGradientCheck> tensors;
  bool ok() const {
    return !tensors.empty() &&
           std::all_of(tensors.begin(), tensors.end(), [](const auto& t) { return t.ok(); });
  }
  /// One line per tensor, then one per reported mismatch.
  std::string report() const {
    std::ostringstream s;
    for (const auto& t : tensors) {
      s << t.name << ": " << t.checked << " elements checked, " << t.mismatches << " mismatches\n";
      for (const auto& m : t.first_bad)
        s << "  " << t.name << "[" << m.index << "]: analytic " << m.analytic << ", numeric "
          << m.numeric << "\n";
    }
    return s.str();
  }
};

inline std::ostream& operator<<(std::ostream& os, const TensorGradientCheck& t) {
  GradientCheckResult r;
  r.tensors.push_back(t);
  return os << r.report();
}
inline std::ostream& operator<<(std::ostream& os, const GradientCheckResult& r) {
  return os << r.report();
}

/// sum(layer.forward(x) * g): the objective whose gradients the check compares.
template <class L>
double gradient_check_objective(L& layer, const Batch<typename L::input_shape, double>& x,
                                const Batch<typename L::output_shape, double>& g) {
  const auto& y = layer.forward(x);
  double s = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    s += y.data()[i] * g.data()[i];
  return s;
}

/// Checks the input and parameter gradients of bound layer (or network) L, whose scalar type
/// must be double, at a random point drawn from `seed`.
template <Layer L>
GradientCheckResult check_gradients(std::uint64_t seed, GradientCheckOptions opt = {}) {
  static_assert(std::is_same_v<typename L::scalar_type, double>,
                "check_gradients: bind the layer with scalar type double (bind<In, double>): "
                "finite differences need double precision");
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

  GradientCheckResult result;
  auto check_tensor = [&](double* values, std::size_t n, const std::vector<double>& analytic,
                          const std::string& name) {
    TensorGradientCheck t{name, 0, 0, {}};
    const std::size_t stride =
        std::max<std::size_t>(1, n / std::max<std::size_t>(1, opt.max_points));
    for (std::size_t i = 0; i < n; i += stride) {
      const double saved = values[i];
      values[i] = saved + opt.step;
      const double fp = gradient_check_objective(layer, x, g);
      values[i] = saved - opt.step;
      const double fm = gradient_check_objective(layer, x, g);
      values[i] = saved;
      const double numeric = (fp - fm) / (2 * opt.step);
      ++t.checked;
      if (!(std::abs(numeric - analytic[i]) <= opt.tolerance * (1 + std::abs(numeric)))) {
        if (t.mismatches++ < 5) t.first_bad.push_back({i, analytic[i], numeric});
      }
    }
    result.tensors.push_back(std::move(t));
  };
  check_tensor(x.data(), x.size(), gx, "input");
  for (std::size_t k = 0; k < params.size(); ++k)
    check_tensor(params[k].value, params[k].size, gp[k], params[k].name);
  return result;
}

}  // namespace ctnn::testing
