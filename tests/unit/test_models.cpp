// The model zoo beyond the course's networks: the Noise2Noise U-Net and DnCNN. Their
// architecture (parameter count, names, buffers), the same weights at another input size, and
// DnCNN's residual output and modes. PyTorch parity is tests/roundtrip (roundtrip.pytorch_unet,
// roundtrip.pytorch_dncnn).

#include <unistd.h>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/unet.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

namespace {
template <class Net>
std::size_t count_values(Net& net) {
  std::size_t n = 0;
  for (const auto& p : net.parameters())
    n += p.size;
  return n;
}
fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("ctnn_test_models_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}
}  // namespace

static_assert(std::is_same_v<models::UNet<>::output_shape, Shape<3, 32, 32>>);
static_assert(std::is_same_v<models::UNet<64, 96>::output_shape, Shape<3, 64, 96>>);
static_assert(std::is_same_v<models::DnCNN<40, 24>::output_shape, Shape<3, 40, 24>>);

TEST_CASE("The Noise2Noise U-Net has the paper's layers", "[models][unet]") {
  models::UNet<> net{Seed{0}};
  const auto params = net.parameters();
  // 18 convs (enc_conv0..6, dec_conv5, 5b, 4, 4b, 3, 3b, 2, 2b, 1a, 1b, 1): 991,203 values,
  // as the PyTorch mirror (tools/pytorch/train_reference.py make_unet) counts them.
  CHECK(params.size() == 36);
  CHECK(count_values(net) == 991203);
  CHECK(params.front().name == "0.body.0.weight");  // enc_conv0
  CHECK(params.front().shape == std::vector<std::size_t>{48, 3, 3, 3});
  CHECK(params[30].name == "1.weight");  // dec_conv1a: 99 = 96 + the input's 3 channels
  CHECK(params[30].shape == std::vector<std::size_t>{64, 99, 3, 3});
  CHECK(params.back().name == "5.bias");  // dec_conv1, linear output
  CHECK(net.buffers().empty());
}

TEST_CASE("DnCNN: 17 convs, 15 batch norms, the input minus the predicted noise",
          "[models][dncnn]") {
  models::DnCNN<> net{Seed{0}};
  const auto params = net.parameters();
  CHECK(params.size() == 2 + 15 * 4 + 2);
  CHECK(count_values(net) == 559363);
  CHECK(params.back().name == "0.body.47.bias");
  const auto buffers = net.buffers();
  CHECK(buffers.size() == 45);
  CHECK(buffers.front().name == "0.body.3.running_mean");

  // With the last conv zero, the body predicts no noise: the output is the input, in both
  // modes (the residual connection is exact).
  auto& last = net.layer<0>().body().layer<47>();
  last.weight().fill(0.0f);
  last.bias().fill(0.0f);
  Batch<Shape<3, 32, 32>> x(2);
  Rng rng{Seed{4}};
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = float(rng.uniform01());
  for (bool training : {true, false}) {
    net.set_training(training);
    const auto& y = net.forward(x);
    CHECK(std::memcmp(y.data(), x.data(), x.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("The same weights run at another input size", "[models][unet][checkpoint]") {
  const auto dir = temp_dir();
  models::UNet<32, 32> small{Seed{1}, Init::kaiming_normal};
  io::save_weights(small, dir / "unet.safetensors");
  models::UNet<64, 96> large{Seed{2}};
  io::load_weights(large, dir / "unet.safetensors");
  const auto a = small.parameters(), b = large.parameters();
  REQUIRE(a.size() == b.size());
  for (std::size_t k = 0; k < a.size(); ++k)
    CHECK(std::memcmp(a[k].value, b[k].value, a[k].size * sizeof(float)) == 0);

  // A fully convolutional net: a constant image gives the same output in the middle of a
  // large image as in a small one (away from the borders the zero padding reaches).
  Batch<Shape<3, 32, 32>> xs(1);
  Batch<Shape<3, 64, 96>> xl(1);
  for (std::size_t i = 0; i < xs.size(); ++i)
    xs.data()[i] = 0.25f;
  for (std::size_t i = 0; i < xl.size(); ++i)
    xl.data()[i] = 0.25f;
  CHECK(small.forward(xs).size() == 3 * 32 * 32);
  CHECK(large.forward(xl).size() == 3 * 64 * 96);

  // Other layers do not load, whatever the size.
  models::DnCNN<32, 32> other{Seed{3}};
  CHECK_THROWS_WITH(io::load_weights(other, dir / "unet.safetensors"),
                    Catch::Contains("another network"));
  fs::remove_all(dir);
}
