// The tests of the example layer MaxPool2d (docs/writing-a-layer.md): what every new layer
// should have. 1. It satisfies the concept and its shapes are right (at compile time).
// 2. Its forward computes known values. 3. Its gradients pass the finite-difference check of
// ctnn/testing/gradient_check.hpp. 4. It works inside a Sequential that trains.

#include <catch2/catch.hpp>

#include <ctnn/ctnn.hpp>

#include <ctnn/testing/gradient_check.hpp>
#include "max_pool2d.hpp"

using namespace ctnn;

// ctnn has a MaxPool2d of its own (ctnn/layers/max_pool2d.hpp); these are the tests of the
// example's, mylayers::MaxPool2d. Declared inside a namespace, the name hides the one that
// `using namespace ctnn` brings in.
namespace {
using mylayers::MaxPool2d;

// 1. Compile time: a LayerSpec whose bound layer is a Layer, with the documented shapes.
static_assert(LayerSpec<MaxPool2d<2>>);
static_assert(Layer<MaxPool2d<2>::bind<Shape<3, 8, 6>>>);
static_assert(Layer<MaxPool2d<3>::bind<Shape<1, 9, 3>, double>>);
static_assert(std::is_same_v<MaxPool2d<2>::bind<Shape<3, 8, 6>>::output_shape, Shape<3, 4, 3>>);
static_assert(std::is_same_v<Sequential<Input<2, 12, 12>, MaxPool2d<2>, MaxPool2d<3>>::output_shape,
                             Shape<2, 2, 2>>);

TEST_CASE("MaxPool2d forward takes each window's maximum", "[custom_layer][max_pool2d]") {
  Rng rng{Seed{0}};
  MaxPool2d<2>::bind<Shape<1, 2, 4>> pool(rng);
  Batch<Shape<1, 2, 4>> x(1);
  const float values[] = {1, 5, -2, -3,  //
                          4, 2, -1, -4};
  std::copy(std::begin(values), std::end(values), x.data());
  const auto& y = pool.forward(x);
  REQUIRE(y.batch_size() == 1);
  CHECK(y(0, 0, 0, 0) == 5.0f);
  CHECK(y(0, 0, 0, 1) == -1.0f);

  // The gradient goes to the maximum of each window only.
  Batch<Shape<1, 1, 2>> dy(1);
  dy(0, 0, 0, 0) = 10;
  dy(0, 0, 0, 1) = 20;
  const auto& dx = pool.backward(dy);
  const float want[] = {0, 10, 0,  0,  //
                        0, 0,  20, 0};
  for (std::size_t i = 0; i < 8; ++i)
    CHECK(dx.data()[i] == want[i]);
}

TEST_CASE("MaxPool2d gradients pass the finite-difference check", "[custom_layer][gradient]") {
  // ctnn's own gradient checker (ctnn/testing/gradient_check.hpp), as ctnn's layers use it:
  // it returns what it found, and the test asserts on it. Random normal inputs: ties within a
  // window (where the derivative jumps) do not occur.
  auto check = [](const testing::GradientCheckResult& result) {
    INFO(result);
    CHECK(result.ok());
  };
  check(testing::check_gradients<MaxPool2d<2>::bind<Shape<3, 6, 8>, double>>(1));
  check(testing::check_gradients<MaxPool2d<3>::bind<Shape<2, 9, 3>, double>>(2, {.batch = 3}));
  check(testing::check_gradients<MaxPool2d<1>::bind<Shape<1, 3, 5>, double>>(3, {.batch = 1}));
  // Inside a chain with parameters before it: the gradients of the conv flow through the pool.
  check(testing::check_gradients<
        Chain<Shape<2, 6, 6>, double, Conv2d<2, 3, 3, 1, 1>, MaxPool2d<2>, Sigmoid>>(4));
}

TEST_CASE("A network with MaxPool2d trains", "[custom_layer][train]") {
  // 3 x 8 x 8 -> conv -> 4 x 8 x 8 -> pool -> 4 x 4 x 4 -> transposed conv (stride 2) -> 3 x 8 x 8
  using Net = Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3, 1, 1>, ReLU, MaxPool2d<2>,
                         ConvTranspose2d<4, 3, 2, 2>, Sigmoid>;
  static_assert(std::is_same_v<Net::output_shape, Shape<3, 8, 8>>);
  CHECK(Net::name() ==
        "Sequential<Input<3,8,8>,Conv2d<3,4,3,1,1,1>,ReLU,MaxPool2d<2>,ConvTranspose2d<4,3,2,2,0,"
        "0,1>,Sigmoid>");

  Net net{Seed{0}};
  Adam<float> opt{net.parameters(), {.lr = 1e-2}};
  MSELoss<Net::output_shape> loss;
  // Denoising flat colours: each target image is one random colour, its input adds noise.
  Rng rng{Seed{1}};
  Batch<Shape<3, 8, 8>> x(8), target(8);
  for (std::size_t n = 0; n < 8; ++n)
    for (std::size_t c = 0; c < 3; ++c) {
      const double colour = rng.uniform(0.1, 0.9);
      for (std::size_t i = 0; i < 8; ++i)
        for (std::size_t j = 0; j < 8; ++j) {
          target(n, c, i, j) = float(colour);
          x(n, c, i, j) = float(colour + 0.1 * rng.normal());
        }
    }

  float first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    opt.zero_grad();
    last = loss.forward(net.forward(x), target);
    if (step == 0) first = last;
    net.backward_parameters(loss.backward());
    opt.step();
  }
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.5f * first);
}

}  // namespace
