// MaxPool2d and LeakyReLU as layers: the concepts, PyTorch's output sizes, the canonical names a
// checkpoint records (so that weights saved with one slope or pooling do not load into
// another), and a network with both that trains. Their values are checked against PyTorch in
// tests/golden/test_golden_layers.cpp, their gradients in test_gradients.cpp, their kernels in
// test_kernels_pooling.cpp, their allocations in test_no_alloc.cpp.

#include <filesystem>
#include <ratio>
#include <string>
#include <type_traits>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/layers/leaky_relu.hpp"
#include "ctnn/layers/max_pool2d.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

template <class Spec, int C, int H, int W>
using Out = typename Spec::template bind<Shape<C, H, W>>::output_shape;

// floor((H + 2P - K) / S) + 1, as PyTorch's nn.MaxPool2d (ceil_mode False).
static_assert(LayerSpec<MaxPool2d<2>>);
static_assert(Layer<MaxPool2d<2>::bind<Shape<3, 8, 6>>>);
static_assert(Layer<MaxPool2d<3, 2, 1>::bind<Shape<2, 7, 8>, double>>);
static_assert(std::is_same_v<Out<MaxPool2d<2>, 3, 6, 7>, Shape<3, 3, 3>>);
static_assert(std::is_same_v<Out<MaxPool2d<3, 2, 1>, 2, 7, 8>, Shape<2, 4, 4>>);
static_assert(std::is_same_v<Out<MaxPool2d<2, 3>, 2, 8, 7>, Shape<2, 3, 2>>);
static_assert(std::is_same_v<Out<MaxPool2d<3, 1, 1>, 2, 6, 7>, Shape<2, 6, 7>>);
static_assert(std::is_same_v<Out<MaxPool2d<4, 2, 2>, 3, 9, 8>, Shape<3, 5, 5>>);
static_assert(std::is_same_v<Out<MaxPool2d<5>, 1, 5, 9>, Shape<1, 1, 1>>);
static_assert(LayerSpec<LeakyReLU<>>);
static_assert(Layer<LeakyReLU<>::bind<Shape<3, 8, 6>>>);
static_assert(Layer<LeakyReLU<std::ratio<1, 10>>::bind<Shape<1, 1, 1>, double>>);
static_assert(std::is_same_v<Out<LeakyReLU<std::deci>, 3, 5, 4>, Shape<3, 5, 4>>);

TEST_CASE("MaxPool2d and LeakyReLU have canonical names", "[max_pool2d][leaky_relu]") {
  CHECK(MaxPool2d<2>::name() == "MaxPool2d<2,2,0>");
  CHECK(MaxPool2d<3, 1, 1>::name() == "MaxPool2d<3,1,1>");
  CHECK(LeakyReLU<>::name() == "LeakyReLU<1/100>");
  CHECK(LeakyReLU<std::ratio<1, 10>>::name() == "LeakyReLU<1/10>");
  CHECK(LeakyReLU<std::ratio<10, 100>>::name() == "LeakyReLU<1/10>");  // reduced
  CHECK(LeakyReLU<std::ratio<-1, 4>>::name() == "LeakyReLU<-1/4>");
  // PyTorch's negative_slope as Python writes it, and its float rounding.
  CHECK(LeakyReLU<>::negative_slope == 0.01);
  CHECK(LeakyReLU<std::ratio<1, 10>>::negative_slope == 0.1);
  CHECK(LeakyReLU<std::ratio<1, 10>>::bind<Shape<1, 1, 1>>::slope == 0.1f);
  using Net = Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3, 1, 1>, LeakyReLU<std::ratio<1, 10>>,
                         MaxPool2d<2>, ConvTranspose2d<4, 3, 2, 2>, Sigmoid>;
  CHECK(Net::name() ==
        "Sequential<Input<3,8,8>,Conv2d<3,4,3,1,1,1>,LeakyReLU<1/10>,MaxPool2d<2,2,0>,"
        "ConvTranspose2d<4,3,2,2,0,0,1>,Sigmoid>");
}

TEST_CASE("A checkpoint records the slope and the pooling",
          "[max_pool2d][leaky_relu][checkpoint]") {
  using A = Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3, 1, 1>, LeakyReLU<std::ratio<1, 10>>,
                       MaxPool2d<2>, ConvTranspose2d<4, 3, 2, 2>>;
  // The same parameters, names and shapes, another slope; another pooling.
  using B = Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3, 1, 1>, LeakyReLU<>, MaxPool2d<2>,
                       ConvTranspose2d<4, 3, 2, 2>>;
  using C = Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3, 1, 1>, LeakyReLU<std::ratio<1, 10>>,
                       MaxPool2d<3, 2, 1>, ConvTranspose2d<4, 3, 2, 2>>;
  const fs::path dir =
      fs::temp_directory_path() / ("ctnn_test_max_pool2d_leaky_relu_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  A a{Seed{1}}, a2{Seed{2}};
  B b{Seed{1}};
  C c{Seed{1}};
  io::save_weights(a, dir / "a.safetensors");
  CHECK(io::SafetensorsFile(dir / "a.safetensors").metadata().at("ctnn_network") == A::name());
  CHECK_NOTHROW(io::load_weights(a2, dir / "a.safetensors"));
  CHECK_THROWS_WITH(io::load_weights(b, dir / "a.safetensors"), Catch::Contains("another network"));
  CHECK_THROWS_WITH(io::load_weights(c, dir / "a.safetensors"), Catch::Contains("another network"));
  fs::remove_all(dir);
}

TEST_CASE("A network with LeakyReLU and MaxPool2d trains", "[max_pool2d][leaky_relu][train]") {
  // 3 x 8 x 8 -> conv -> 4 x 8 x 8 -> pool (3, 2, 1) -> 4 x 4 x 4 -> transposed conv -> 3 x 8 x 8
  using Net = Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3, 1, 1>, LeakyReLU<std::ratio<1, 10>>,
                         MaxPool2d<3, 2, 1>, ConvTranspose2d<4, 3, 2, 2>, LeakyReLU<>>;
  static_assert(std::is_same_v<Net::output_shape, Shape<3, 8, 8>>);
  Net net{Seed{0}};
  Adam<float> opt{net.parameters(), {.lr = 1e-2}};
  MSELoss<Net::output_shape> loss;
  // Denoising flat colours: each target image is one random colour, its input adds noise.
  Rng rng{Seed{1}};
  Batch<Shape<3, 8, 8>> x(8), target(8);
  for (std::size_t n = 0; n < 8; ++n)
    for (std::size_t ch = 0; ch < 3; ++ch) {
      const double colour = rng.uniform(0.1, 0.9);
      for (std::size_t i = 0; i < 8; ++i)
        for (std::size_t j = 0; j < 8; ++j) {
          target(n, ch, i, j) = float(colour);
          x(n, ch, i, j) = float(colour + 0.1 * rng.normal());
        }
    }
  float first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    opt.zero_grad();
    last = loss.forward(net.forward(x), target);
    if (step == 0) first = last;
    net.backward(loss.backward());
    opt.step();
  }
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.5f * first);
}
