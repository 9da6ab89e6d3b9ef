// BatchNorm2d beyond its golden values and gradients (tests/golden, tests/unit/test_gradients):
// the network's mode (train/eval), buffers (names, untouched by optimizers), checkpoints with
// buffers (round trip, validation, resumable training state) and thread-count independence.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/training_state.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/layers/batch_norm2d.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

namespace {

using Net =
    Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3, 1, 1>, BatchNorm2d<4>, ReLU,
               SkipConcat<Conv2d<4, 4, 3, 1, 1>, BatchNorm2d<4>, Sigmoid>, Conv2d<8, 3, 3, 1, 1>>;

fs::path temp_dir() {
  const fs::path d =
      fs::temp_directory_path() / ("ctnn_test_batch_norm_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

template <class S>
Batch<S> random_batch(std::size_t n, std::uint64_t seed) {
  Batch<S> b(n);
  Rng rng{seed};
  for (std::size_t i = 0; i < b.size(); ++i)
    b.data()[i] = float(rng.uniform(0.0, 1.0));
  return b;
}

/// Every buffer's values, floating-point ones as float, counts converted.
std::vector<double> buffer_values(Net& net) {
  std::vector<double> v;
  for (const auto& b : net.buffers())
    for (std::size_t i = 0; i < b.size; ++i)
      v.push_back(b.is_integer() ? double(b.integer[i]) : double(b.value[i]));
  return v;
}

void train_steps(Net& net, Adam<float>& opt, int steps, std::uint64_t seed) {
  const auto x = random_batch<Shape<3, 8, 8>>(3, seed);
  const auto t = random_batch<Shape<3, 8, 8>>(3, seed + 1);
  MSELoss<Shape<3, 8, 8>> loss;
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    loss.forward(net.forward(x), t);
    net.backward(loss.backward());
    opt.step();
  }
}

}  // namespace

TEST_CASE("BatchNorm2d is a layer whose output shape is its input's", "[batch_norm]") {
  static_assert(LayerSpec<BatchNorm2d<3>>);
  static_assert(Layer<BatchNorm2d<3>::bind<Shape<3, 4, 5>>>);
  static_assert(Layer<BatchNorm2d<3>::bind<Shape<3, 4, 5>, double>>);
  static_assert(std::is_same_v<BatchNorm2d<3>::bind<Shape<3, 4, 5>>::output_shape, Shape<3, 4, 5>>);
  CHECK(BatchNorm2d<16>::name() == "BatchNorm2d<16>");
  CHECK(Net::name().find("BatchNorm2d<4>") != std::string::npos);
}

TEST_CASE("train() and eval() reach every layer with a mode, nested ones too", "[batch_norm]") {
  Net net{Seed{1}};
  auto& outer = net.layer<1>();
  auto& inner = net.layer<3>().body().layer<1>();
  CHECK(net.is_training());  // PyTorch's default
  CHECK(outer.is_training());
  CHECK(inner.is_training());
  net.eval();
  CHECK(!net.is_training());
  CHECK(!outer.is_training());
  CHECK(!inner.is_training());
  net.train();
  CHECK(net.is_training());
  CHECK(outer.is_training());
  CHECK(inner.is_training());

  // A network without a layer that has a mode computes the same in both.
  using Plain = Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3>, ReLU>;
  Plain plain{Seed{2}};
  const auto x = random_batch<Shape<3, 8, 8>>(2, 3);
  const xt::xtensor<float, 4> y_train = plain.forward(x).tensor();
  plain.eval();
  CHECK(plain.forward(x).tensor() == y_train);
}

TEST_CASE("Training mode updates the running statistics, evaluation mode uses them",
          "[batch_norm]") {
  using L = BatchNorm2d<2>::bind<Shape<2, 3, 3>>;
  Rng rng{0};
  L bn(rng);
  const auto x = random_batch<Shape<2, 3, 3>>(4, 5);
  bn.forward(x);
  CHECK(bn.num_batches_tracked() == 1);
  CHECK(bn.running_mean()(0) != 0.0f);
  CHECK(bn.running_var()(0) != 1.0f);

  // Evaluation: y = gamma (x - running_mean) / sqrt(running_var + eps) + beta, and the
  // statistics stay as they are.
  bn.set_training(false);
  bn.weight()(1) = 2.0f;
  bn.bias()(1) = -0.5f;
  const float mean = bn.running_mean()(1), var = bn.running_var()(1);
  const auto& y = bn.forward(x);
  for (std::size_t i = 0; i < 3; ++i) {
    const double want = 2.0 * (x(i, 1, 2, 1) - mean) / std::sqrt(double(var) + 1e-5) - 0.5;
    CHECK(y(i, 1, 2, 1) == Approx(want).epsilon(1e-6));
  }
  CHECK(bn.num_batches_tracked() == 1);
  CHECK(bn.running_mean()(1) == mean);
  CHECK(bn.running_var()(1) == var);

  // One value per channel cannot be normalised by batch statistics (PyTorch refuses it too).
  using One = BatchNorm2d<2>::bind<Shape<2, 1, 1>>;
  One single(rng);
  const auto x1 = random_batch<Shape<2, 1, 1>>(1, 6);
  CHECK_THROWS_AS(single.forward(x1), InputError);
  CHECK_THROWS_WITH(single.forward(x1), Catch::Contains("more than 1 value per channel"));
  single.set_training(false);
  CHECK_NOTHROW(single.forward(x1));
}

TEST_CASE("Buffers are named like PyTorch's state_dict and optimizers never see them",
          "[batch_norm]") {
  Net net{Seed{1}};
  std::vector<std::string> names;
  for (const auto& b : net.buffers())
    names.push_back(b.name);
  CHECK(names == std::vector<std::string>{"1.running_mean", "1.running_var",
                                          "1.num_batches_tracked", "3.body.1.running_mean",
                                          "3.body.1.running_var", "3.body.1.num_batches_tracked"});
  CHECK(net.buffers()[2].is_integer());
  CHECK(net.buffers()[2].shape.empty());  // a 0-dimensional tensor, as in PyTorch
  CHECK(net.buffers()[0].shape == std::vector<std::size_t>{4});
  for (const auto& p : net.parameters())
    CHECK(p.name.find("running") == std::string::npos);
  std::vector<std::string> params;
  for (const auto& p : net.parameters())
    params.push_back(p.name);
  CHECK(std::count(params.begin(), params.end(), "1.weight") == 1);
  CHECK(std::count(params.begin(), params.end(), "3.body.1.bias") == 1);

  // An optimizer step changes the parameters and leaves the buffers as the forward left them.
  Adam<float> opt(net.parameters(), {.lr = 1e-2});
  train_steps(net, opt, 1, 7);
  const auto before = buffer_values(net);
  const auto x = random_batch<Shape<3, 8, 8>>(3, 8);
  opt.zero_grad();
  net.forward(x);
  net.backward(random_batch<Shape<3, 8, 8>>(3, 9));  // any gradient will do
  const auto after_forwards = buffer_values(net);
  opt.step();
  CHECK(buffer_values(net) == after_forwards);
  CHECK(after_forwards != before);
}

TEST_CASE("Weights files hold the buffers and round-trip them exactly",
          "[batch_norm][checkpoint]") {
  const auto dir = temp_dir();
  Net a{Seed{1}}, b{Seed{2}};
  Adam<float> opt(a.parameters(), {.lr = 1e-2});
  train_steps(a, opt, 3, 10);
  io::save_weights(a, dir / "w.safetensors");
  const io::SafetensorsFile f(dir / "w.safetensors");
  CHECK(f.entry("1.num_batches_tracked").dtype == "I64");
  CHECK(f.entry("1.num_batches_tracked").shape.empty());
  CHECK(f.values<std::int64_t>("3.body.1.num_batches_tracked") == std::vector<std::int64_t>{3});
  CHECK(f.entry("1.running_var").dtype == "F32");
  CHECK(f.entry("1.running_var").shape == std::vector<std::size_t>{4});

  io::load_weights(b, dir / "w.safetensors");
  CHECK(buffer_values(b) == buffer_values(a));
  const auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t k = 0; k < pa.size(); ++k)
    CHECK(std::memcmp(pa[k].value, pb[k].value, pa[k].size * sizeof(float)) == 0);
  a.eval();
  b.eval();
  const auto x = random_batch<Shape<3, 8, 8>>(2, 11);
  CHECK(a.forward(x).tensor() == b.forward(x).tensor());
  fs::remove_all(dir);
}

TEST_CASE("Bad buffers are refused with the file and the tensor, changing nothing",
          "[batch_norm][checkpoint][errors]") {
  const auto dir = temp_dir();
  Net source{Seed{1}};
  Adam<float> opt(source.parameters(), {.lr = 1e-2});
  train_steps(source, opt, 2, 12);
  const auto params = source.parameters();
  const auto buffers = source.buffers();

  // Writes source's state with `edit` applied to its tensor list, loads it into a fresh net
  // and checks the error and that the net is unchanged.
  auto refused = [&](const std::string& file, auto edit, const std::string& message) {
    auto tensors = io::state_tensors<Net>(params, buffers);
    edit(tensors);
    io::write_safetensors(dir / file, tensors);
    Net net{Seed{2}};
    const auto before = buffer_values(net);
    const float w0 = net.parameters()[0].value[0];
    CHECK_THROWS_WITH(io::load_weights(net, dir / file),
                      Catch::Contains(file) && Catch::Contains(message));
    CHECK(buffer_values(net) == before);
    CHECK(net.parameters()[0].value[0] == w0);
  };
  auto find = [](std::vector<io::SafetensorsTensor> & ts, const std::string& name) -> auto& {
    for (auto& t : ts)
      if (t.name == name) return t;
    FAIL("no tensor " << name);
    return ts.front();
  };

  const float as_float = 2.0f;
  refused(
      "count_f32.safetensors",
      [&](auto& ts) {
        auto& t = find(ts, "1.num_batches_tracked");
        t.dtype = "F32";
        t.shape = {};
        t.data = &as_float;
        t.bytes = sizeof(float);
      },
      "buffer '1.num_batches_tracked': dtype F32, expected I64");
  const std::int64_t counts[2] = {2, 2};
  refused(
      "count_shape.safetensors",
      [&](auto& ts) {
        auto& t = find(ts, "3.body.1.num_batches_tracked");
        t.shape = {2};
        t.data = counts;
        t.bytes = sizeof counts;
      },
      "buffer '3.body.1.num_batches_tracked': expected shape [], found [2]");
  const std::int64_t negative = -1;
  refused(
      "count_negative.safetensors",
      [&](auto& ts) { find(ts, "1.num_batches_tracked").data = &negative; },
      "buffer '1.num_batches_tracked' holds -1");
  const std::vector<float> three(3, 1.0f);
  refused(
      "var_shape.safetensors",
      [&](auto& ts) {
        auto& t = find(ts, "1.running_var");
        t.shape = {3};
        t.data = three.data();
        t.bytes = 3 * sizeof(float);
      },
      "buffer '1.running_var': expected shape [4], found [3]");
  const std::vector<float> with_nan = {0.0f, std::numeric_limits<float>::quiet_NaN(), 0.0f, 0.0f};
  refused(
      "mean_nan.safetensors",
      [&](auto& ts) { find(ts, "3.body.1.running_mean").data = with_nan.data(); },
      "tensor '3.body.1.running_mean' holds NaN at flat index 1");
  const std::vector<std::int32_t> as_int(4, 1);
  refused(
      "mean_i32.safetensors",
      [&](auto& ts) {
        auto& t = find(ts, "1.running_mean");
        t.dtype = "I32";
        t.data = as_int.data();
      },
      "buffer '1.running_mean': dtype I32, expected F32 or F64");
  refused(
      "missing.safetensors",
      [&](auto& ts) {
        ts.erase(std::remove_if(ts.begin(), ts.end(),
                                [](const auto& t) { return t.name == "1.running_var"; }),
                 ts.end());
      },
      "missing buffer '1.running_var' (expected shape [4])");
  fs::remove_all(dir);
}

TEST_CASE("A training checkpoint holds the buffers and resumes bit for bit",
          "[batch_norm][checkpoint][resume]") {
  const auto dir = temp_dir();
  Net straight{Seed{4}}, first{Seed{4}}, resumed{Seed{99}};
  Adam<float> o1(straight.parameters(), {.lr = 1e-2}), o2(first.parameters(), {.lr = 1e-2}),
      o3(resumed.parameters(), {.lr = 1e-2});
  train_steps(straight, o1, 4, 20);
  train_steps(first, o2, 2, 20);
  io::save_training_state(dir / "state.safetensors", first, o2, {});
  io::load_training_state(dir / "state.safetensors", resumed, o3);
  CHECK(buffer_values(resumed) == buffer_values(first));
  train_steps(resumed, o3, 2, 20);
  CHECK(buffer_values(resumed) == buffer_values(straight));
  const auto pa = straight.parameters(), pb = resumed.parameters();
  for (std::size_t k = 0; k < pa.size(); ++k)
    CHECK(std::memcmp(pa[k].value, pb[k].value, pa[k].size * sizeof(float)) == 0);
  const io::SafetensorsFile f(dir / "state.safetensors");
  CHECK(f.entry("3.body.1.num_batches_tracked").dtype == "I64");
  fs::remove_all(dir);
}

TEST_CASE("BatchNorm2d's float results do not depend on the thread count", "[batch_norm]") {
  using L = BatchNorm2d<6>::bind<Shape<6, 33, 35>>;
  const auto x = random_batch<Shape<6, 33, 35>>(5, 30);
  const auto dy = random_batch<Shape<6, 33, 35>>(5, 31);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Rng rng{0};
    L bn(rng);
    std::vector<float> out;
    const auto& y = bn.forward(x);
    out.insert(out.end(), y.data(), y.data() + y.size());
    const auto& dx = bn.backward(dy);
    out.insert(out.end(), dx.data(), dx.data() + dx.size());
    for (const auto& p : bn.parameters())
      out.insert(out.end(), p.grad, p.grad + p.size);
    out.insert(out.end(), bn.running_var().begin(), bn.running_var().end());
    return out;
  };
  const auto one = run(1), two = run(2);
  set_num_threads(0);
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
}
