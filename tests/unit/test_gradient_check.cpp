// The public gradient checker itself: it passes a correct layer, and it catches a wrong input
// gradient and a wrong parameter gradient, naming the tensor.

#include <cstddef>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/testing/gradient_check.hpp"

using namespace ctnn;

namespace {
/// y = a * x with one trainable scalar a; `WrongInput` / `WrongParam` break one gradient.
template <ShapeType In, class T, bool WrongInput, bool WrongParam>
class ScaleLayer {
 public:
  using scalar_type = T;
  using input_shape = In;
  using output_shape = In;
  explicit ScaleLayer(Rng& rng) : a_(T(rng.uniform(0.5, 1.5))) {}
  const Batch<In, T>& forward(const Batch<In, T>& x) {
    x_ = &x;
    y_.resize(x.batch_size());
    for (std::size_t i = 0; i < x.size(); ++i)
      y_.data()[i] = a_ * x.data()[i];
    return y_;
  }
  const Batch<In, T>& backward(const Batch<In, T>& dy) {
    dx_.resize(dy.batch_size());
    for (std::size_t i = 0; i < dy.size(); ++i) {
      dx_.data()[i] = (WrongInput && i == 3 ? T(2) : T(1)) * a_ * dy.data()[i];
      grad_a_ += (WrongParam ? T(0.5) : T(1)) * x_->data()[i] * dy.data()[i];
    }
    return dx_;
  }
  void zero_grad() { grad_a_ = 0; }
  void collect_parameters(ParameterList<T>& out, const std::string& prefix) {
    out.push_back({prefix + "scale", &a_, &grad_a_, 1, {1}});
  }

 private:
  T a_, grad_a_ = 0;
  const Batch<In, T>* x_ = nullptr;
  Batch<In, T> y_, dx_;
};
using S = Shape<2, 3, 3>;
}  // namespace

TEST_CASE("The gradient checker passes correct gradients", "[gradient_check]") {
  const auto result = testing::check_gradients<ScaleLayer<S, double, false, false>>(1);
  INFO(result);
  CHECK(result.ok());
  REQUIRE(result.tensors.size() == 2);
  CHECK(result.tensors[0].name == "input");
  CHECK(result.tensors[0].checked == 2 * S::size);  // batch 2, every element
  CHECK(result.tensors[1].name == "scale");
  CHECK(result.tensors[1].checked == 1);
}

TEST_CASE("The gradient checker catches a wrong input gradient", "[gradient_check]") {
  const auto result = testing::check_gradients<ScaleLayer<S, double, true, false>>(2);
  CHECK_FALSE(result.ok());
  CHECK(result.tensors[0].mismatches == 1);
  REQUIRE(result.tensors[0].first_bad.size() == 1);
  CHECK(result.tensors[0].first_bad[0].index == 3);
  CHECK(result.tensors[1].ok());
  CHECK_THAT(result.report(), Catch::Contains("input[3]: analytic"));
}

TEST_CASE("The gradient checker catches a wrong parameter gradient", "[gradient_check]") {
  const auto result = testing::check_gradients<ScaleLayer<S, double, false, true>>(3);
  CHECK_FALSE(result.ok());
  CHECK(result.tensors[0].ok());
  CHECK(result.tensors[1].mismatches == 1);
  std::ostringstream printed;
  printed << result;
  CHECK_THAT(printed.str(), Catch::Contains("scale: 1 elements checked, 1 mismatches"));
}

TEST_CASE("The gradient checker checks the library's layers inside a network", "[gradient_check]") {
  using Net = Chain<Shape<2, 6, 6>, double, Conv2d<2, 3, 3, 1, 1>, ReLU, ConvTranspose2d<3, 2, 3>>;
  const auto result = testing::check_gradients<Net>(4, {.min_abs_input = 1e-3});
  INFO(result);
  CHECK(result.ok());
  CHECK(result.tensors.size() == 5);  // input, 0.weight, 0.bias, 2.weight, 2.bias
}
