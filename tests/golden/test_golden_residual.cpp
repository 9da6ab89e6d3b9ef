// Residual (x + body(x)) and InputMinus (x - body(x)) against PyTorch, in float and in double:
// output, input gradient (the shortcut's share plus the body's) and the body's parameter
// gradients, from the fixtures of tools/pytorch/make_golden.py (PyTorch 1.13, float64).

#include <string>
#include <type_traits>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/layers/residual.hpp"
#include "golden.hpp"

using namespace ctnn;
using namespace ctnn::test;

namespace {
/// The fixtures are float64 results rounded to float32, from float32 inputs: double must agree
/// to that rounding (2^-24 relative, so rtol 1e-7, and atol 1e-12 for double's own error on
/// cancelling sums of O(1) terms); float to the tolerance of the other golden cases.
template <class Spec, class T>
void check_block(const std::string& name) {
  constexpr bool is_double = std::is_same_v<T, double>;
  INFO("golden case " << name << (is_double ? " (double)" : " (float)"));
  const double rtol = is_double ? 1e-7 : 1e-5, atol = is_double ? 1e-12 : 1e-6;
  using S = Shape<3, 5, 6>;
  using L = typename Spec::template bind<S, T>;
  Rng rng{0};
  L layer(rng);
  ParameterList<T> params;
  layer.collect_parameters(params, "");
  load_parameters(name, "param", params);

  const auto x = load_batch<S, T>(name, "x");
  const auto& y = layer.forward(x);
  require_close(y, load_fixture(name, "y"), name + " y", rtol, atol);
  const auto gy = load_batch<S, T>(name, "gy");
  layer.zero_grad();
  const auto& gx = layer.backward(gy);
  require_close(gx, load_fixture(name, "gx"), name + " gx", rtol, atol);
  compare_parameters(name, "grad", params, /*gradients=*/true, rtol, atol);
}
}  // namespace

TEST_CASE("Residual matches PyTorch's x + body(x)", "[golden][residual]") {
  using Spec = Residual<Conv2d<3, 4, 3, 1, 1>, ReLU, Conv2d<4, 3, 1>>;
  check_block<Spec, float>("residual");
  check_block<Spec, double>("residual");
}

TEST_CASE("InputMinus matches PyTorch's x - body(x)", "[golden][residual]") {
  using Spec = InputMinus<Conv2d<3, 4, 3, 1, 1>, ReLU, Conv2d<4, 3, 1>>;
  check_block<Spec, float>("input_minus");
  check_block<Spec, double>("input_minus");
}
