// Sequential: shapes flow through the types, run-time shape errors, parameter naming and
// initialisation, and the course's two models training with a falling loss.

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "course_models.hpp"
#include "ctnn/ctnn.hpp"

using namespace ctnn;
using test::FinalModel;
using test::InitialModel;

static_assert(std::is_same_v<InitialModel<>::output_shape, Shape<3, 32, 32>>);
static_assert(std::is_same_v<FinalModel<>::output_shape, Shape<3, 32, 32>>);
static_assert(std::is_same_v<Sequential<Input<3, 32, 32>, Conv2d<3, 8, 3, 2, 1>>::output_shape,
                             Shape<8, 16, 16>>);
static_assert(
    std::is_same_v<Sequential<Input<4, 5, 7>, ConvTranspose2d<4, 2, 3, 2, 1, 1>>::output_shape,
                   Shape<2, 10, 14>>);
static_assert(
    std::is_same_v<Sequential<Input<2, 3, 4>, Upsample<3>>::output_shape, Shape<2, 9, 12>>);
static_assert(std::is_same_v<
              Sequential<Input<3, 8, 8>, SkipConcat<Conv2d<3, 5, 3, 1, 1>, ReLU>>::output_shape,
              Shape<8, 8, 8>>);
static_assert(Layer<Conv2d<3, 4, 3>::bind<Shape<3, 8, 8>>>);
static_assert(Layer<SkipConcat<Conv2d<3, 4, 3, 1, 1>>::bind<Shape<3, 8, 8>>>);
static_assert(Layer<InitialModel<>>);

TEST_CASE("A tensor of the wrong per-sample shape is refused, naming both shapes", "[sequential]") {
  InitialModel<> net{Seed{0}};
  xt::xtensor<float, 4> big(std::array<std::size_t, 4>{2, 3, 64, 64}, 0.5f);
  CHECK_THROWS_AS(net.forward(big), ShapeError);
  CHECK_THROWS_WITH(net.forward(big), Catch::Contains("3x32x32") && Catch::Contains("3x64x64"));
  xt::xtensor<float, 4> gray(std::array<std::size_t, 4>{1, 1, 32, 32}, 0.5f);
  CHECK_THROWS_WITH(net.forward(gray), Catch::Contains("1x32x32"));
  CHECK_THROWS_AS((Batch<Shape<3, 32, 32>>(big)), ShapeError);

  xt::xtensor<float, 4> ok(std::array<std::size_t, 4>{2, 3, 32, 32}, 0.5f);
  const auto& y = net.forward(ok);
  CHECK(y.batch_size() == 2);
  Batch<Shape<3, 32, 32>> same(ok);
  const auto y2 = net.forward(same).tensor();
  CHECK(y2 == net.forward(ok).tensor());
}

TEST_CASE("Parameters are named like the equivalent nn.Sequential's state_dict", "[sequential]") {
  FinalModel<> net{Seed{0}};
  std::vector<std::string> names;
  for (const auto& p : net.parameters())
    names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.body.0.weight", "2.body.0.bias",
                                          "2.body.2.weight", "2.body.2.bias", "3.weight",
                                          "3.bias"});
  const auto ps = net.parameters();
  CHECK(ps[0].shape == std::vector<std::size_t>{100, 3, 3, 3});
  CHECK(ps[4].shape == std::vector<std::size_t>{100, 100, 3, 3});  // ConvT: (Cin, Cout, K, K)
  CHECK(ps[6].shape == std::vector<std::size_t>{200, 3, 3, 3});
}

TEST_CASE("Initialisation is PyTorch's default bound and deterministic from the seed", "[init]") {
  InitialModel<> a{Seed{42}}, b{Seed{42}}, c{Seed{43}};
  const auto pa = a.parameters(), pb = b.parameters(), pc = c.parameters();
  // fan_in = weight.size(1) * K * K: 3*9 for Conv(3,32), 32*9 for the others, and for the
  // last ConvTranspose2d(32, 3) weight.size(1) = 3, so fan_in = 27.
  const double fan_in[] = {27, 27, 288, 288, 288, 288, 27, 27};
  bool any_difference = false;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    const double bound = 1.0 / std::sqrt(fan_in[k]);
    double lo = 1e9, hi = -1e9;
    for (std::size_t i = 0; i < pa[k].size; ++i) {
      REQUIRE(pa[k].value[i] == pb[k].value[i]);
      any_difference |= pa[k].value[i] != pc[k].value[i];
      lo = std::min(lo, double(pa[k].value[i]));
      hi = std::max(hi, double(pa[k].value[i]));
    }
    INFO(pa[k].name);
    CHECK(lo >= -bound);
    CHECK(hi <= bound);
    if (pa[k].size > 1000) {  // large tensors fill the interval
      CHECK(lo < -0.95 * bound);
      CHECK(hi > 0.95 * bound);
    }
  }
  CHECK(any_difference);
}

template <class Net>
std::vector<float> train_steps(int steps, std::size_t batch) {
  Net net{Seed{1}};
  Rng rng{5};
  Batch<Shape<3, 32, 32>> clean(batch), x(batch), t(batch);
  // Smooth images plus two independent noise draws: a tiny Noise2Noise problem.
  for (std::size_t n = 0; n < batch; ++n)
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t i = 0; i < 32; ++i)
        for (std::size_t j = 0; j < 32; ++j) {
          const float v =
              0.5f + 0.4f * std::sin(0.2f * float(i + 2 * n) + 0.3f * float(j * (c + 1)));
          clean(n, c, i, j) = v;
          x(n, c, i, j) = v + 0.1f * float(rng.normal());
          t(n, c, i, j) = v + 0.1f * float(rng.normal());
        }
  Adam<float> opt(net.parameters(), {.lr = 1e-3});
  MSELoss<typename Net::output_shape> loss;
  std::vector<float> losses;
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    losses.push_back(loss.forward(net.forward(x), t));
    net.backward(loss.backward());
    opt.step();
  }
  return losses;
}

TEST_CASE("The course's initial model trains: the loss goes down", "[sequential][training]") {
  const auto losses = train_steps<InitialModel<>>(30, 4);
  INFO("first " << losses.front() << ", last " << losses.back());
  CHECK(losses.back() < 0.5f * losses.front());
}

TEST_CASE("The course's final model trains: the loss goes down", "[sequential][training]") {
  const auto losses = train_steps<FinalModel<>>(8, 2);
  INFO("first " << losses.front() << ", last " << losses.back());
  CHECK(losses.back() < 0.8f * losses.front());
}

TEST_CASE("A network's name is its architecture in canonical form", "[sequential]") {
  CHECK(FinalModel<>::name() ==
        "Sequential<Input<3,32,32>,Conv2d<3,100,3,1,0,1>,ReLU,SkipConcat<Conv2d<100,100,3,1,0,1>,"
        "ReLU,ConvTranspose2d<100,100,3,1,0,0,1>,ReLU>,ConvTranspose2d<200,3,3,1,0,0,1>,Sigmoid>");
  CHECK(models::UpsampleDenoiser<>::name().find("Upsample<2>,Conv2d<32,32,3,1,1,1>") !=
        std::string::npos);
}

namespace {
/// An identity layer that counts which backward Sequential called on it.
struct CountingIdentity {
  template <ShapeType In, class T>
  struct bind {
    using scalar_type = T;
    using input_shape = In;
    using output_shape = In;
    explicit bind(Rng&) {}
    const Batch<In, T>& forward(const Batch<In, T>& x) { return x; }
    const Batch<In, T>& backward(const Batch<In, T>& dy) {
      ++backward_calls;
      return dy;
    }
    void backward_parameters(const Batch<In, T>&) { ++backward_parameters_calls; }
    void zero_grad() {}
    void collect_parameters(ParameterList<T>&, const std::string&) {}
    int backward_calls = 0, backward_parameters_calls = 0;
  };
};

/// The parameter gradients after one backward (or backward_parameters) of a fixed loss.
template <class Net>
std::vector<std::vector<float>> gradients_after(bool parameters_only) {
  Net net{Seed{3}};
  Batch<typename Net::input_shape> x(3);
  Batch<typename Net::output_shape> t(3);
  Rng rng{Seed{4}};
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = float(rng.uniform01());
  for (std::size_t i = 0; i < t.size(); ++i)
    t.data()[i] = float(rng.uniform01());
  MSELoss<typename Net::output_shape> loss;
  net.zero_grad();
  loss.forward(net.forward(x), t);
  if (parameters_only)
    net.backward_parameters(loss.backward());
  else
    net.backward(loss.backward());
  std::vector<std::vector<float>> grads;
  for (const auto& p : net.parameters())
    grads.emplace_back(p.grad, p.grad + p.size);
  return grads;
}
}  // namespace

// The nets below reuse the course models' conv geometries (each new geometry compiles its own
// kernels).
TEST_CASE("backward_parameters gives backward's parameter gradients, bit for bit", "[sequential]") {
  using TransposedFirst = Sequential<Input<32, 28, 28>, ConvTranspose2d<32, 32, 3>, ReLU,
                                     ConvTranspose2d<32, 3, 3>, Sigmoid>;
  // A first layer without backward_parameters (here a parameter-free one) runs its backward.
  using PoolFirst = Sequential<Input<3, 64, 64>, MaxPool2d<2>, Conv2d<3, 32, 3>, ReLU,
                               BatchNorm2d<32>, Conv2d<32, 32, 3>>;
  const auto a = gradients_after<InitialModel<>>(false);
  const auto b = gradients_after<InitialModel<>>(true);
  REQUIRE(a.size() == 8);
  CHECK(a == b);
  CHECK(gradients_after<TransposedFirst>(false) == gradients_after<TransposedFirst>(true));
  const auto c = gradients_after<PoolFirst>(false);
  REQUIRE(c.size() == 6);
  CHECK(c == gradients_after<PoolFirst>(true));
  // Not vacuous: the gradients are not all zero.
  CHECK(std::any_of(a[0].begin(), a[0].end(), [](float g) { return g != 0.0f; }));
}

TEST_CASE("backward_parameters asks the first layer only for its parameters' gradients",
          "[sequential]") {
  Sequential<Input<3, 32, 32>, CountingIdentity, Conv2d<3, 32, 3>, CountingIdentity> net{Seed{0}};
  Batch<Shape<3, 32, 32>> x(1);
  std::fill(x.data(), x.data() + x.size(), 0.5f);
  net.backward_parameters(net.forward(x));
  CHECK(net.layer<0>().backward_parameters_calls == 1);
  CHECK(net.layer<0>().backward_calls == 0);
  // Every later layer's input gradient is needed: they run backward.
  CHECK(net.layer<2>().backward_calls == 1);
  CHECK(net.layer<2>().backward_parameters_calls == 0);
  net.backward(net.forward(x));
  CHECK(net.layer<0>().backward_calls == 1);
  CHECK(net.layer<0>().backward_parameters_calls == 1);
}
