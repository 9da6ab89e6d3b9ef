// MSELoss: value and gradient against hand-computed numbers and finite differences.

#include <cmath>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/testing/gradient_check.hpp"

using namespace ctnn;

TEST_CASE("MSELoss computes the mean over all elements and 2(y-t)/n", "[mse]") {
  Batch<Shape<1, 1, 2>, double> y(2), t(2);
  // y = [1, 2 | 3, 4], t = [0, 2 | 5, 4]: squared errors 1, 0, 4, 0 -> mean 1.25
  const double yv[] = {1, 2, 3, 4}, tv[] = {0, 2, 5, 4};
  std::copy(yv, yv + 4, y.data());
  std::copy(tv, tv + 4, t.data());
  MSELoss<Shape<1, 1, 2>, double> loss;
  CHECK(loss.forward(y, t) == Approx(1.25));
  CHECK(mse(y, t) == Approx(1.25));
  const auto& g = loss.backward();
  const double want[] = {0.5, 0.0, -1.0, 0.0};  // 2 (y - t) / 4
  for (int i = 0; i < 4; ++i)
    CHECK(g.data()[i] == Approx(want[i]));
  const auto& g2 = loss.backward(3.0);
  CHECK(g2.data()[0] == Approx(1.5));
}

TEST_CASE("MSELoss gradient matches finite differences", "[mse][gradient]") {
  // The step and tolerance of every other gradient check (testing::check_gradients, which
  // takes layers, not losses): |analytic - numeric| <= 1e-6 (1 + |numeric|), at every element,
  // for the gradient of the loss and of 3 times the loss (backward's upstream gradient).
  const testing::GradientCheckOptions opt;
  Rng rng{7};
  Batch<Shape<2, 3, 3>, double> y(3), t(3);
  for (std::size_t i = 0; i < y.size(); ++i) {
    y.data()[i] = rng.normal();
    t.data()[i] = rng.normal();
  }
  MSELoss<Shape<2, 3, 3>, double> loss;
  for (const double scale : {1.0, 3.0}) {
    INFO("upstream gradient " << scale);
    loss.forward(y, t);
    const auto g = loss.backward(scale).tensor();
    for (std::size_t i = 0; i < y.size(); ++i) {
      const double saved = y.data()[i], h = opt.step;
      y.data()[i] = saved + h;
      const double fp = scale * mse(y, t);
      y.data()[i] = saved - h;
      const double fm = scale * mse(y, t);
      y.data()[i] = saved;
      const double numeric = (fp - fm) / (2 * h);
      INFO("element " << i << ": analytic " << g.data()[i] << ", numeric " << numeric);
      CHECK(std::abs(g.data()[i] - numeric) <= opt.tolerance * (1 + std::abs(numeric)));
    }
  }
}

TEST_CASE("MSELoss rejects batches of different sizes", "[mse][errors]") {
  Batch<Shape<1, 2, 2>> y(2), t(3);
  MSELoss<Shape<1, 2, 2>> loss;
  CHECK_THROWS_AS(loss.forward(y, t), ShapeError);
  CHECK_THROWS_WITH(mse(y, t), Catch::Contains("2 samples") && Catch::Contains("3"));
}
