// Whole-model speed of the course's two denoisers: a training step (zero_grad, forward, MSE,
// backward, Adam) and inference (forward), in images/s, for batch 8, 32 and 128 on 1 and 2
// threads. GFLOP/s counts the conv multiply-adds only (2 per multiply-add; the element-wise
// work is not counted, so it only lowers the figure).

#include <cstddef>
#include <random>

#include <benchmark/benchmark.h>

#include "ctnn/ctnn.hpp"
#include "ctnn/kernels/parallel.hpp"

using namespace ctnn;

namespace {

// The 32-channel model of the course's first report.
using Initial = Sequential<Input<3, 32, 32>, Conv2d<3, 32, 3>, ReLU, Conv2d<32, 32, 3>, ReLU,
                           ConvTranspose2d<32, 32, 3>, ReLU, ConvTranspose2d<32, 3, 3>, Sigmoid>;
// The final model: 100 channels and a skip connection.
using Final = Sequential<Input<3, 32, 32>, Conv2d<3, 100, 3>, ReLU,
                         SkipConcat<Conv2d<100, 100, 3>, ReLU, ConvTranspose2d<100, 100, 3>, ReLU>,
                         ConvTranspose2d<200, 3, 3>, Sigmoid>;

/// Conv FLOPs of one forward pass per image: 2 * Cout * Ho * Wo * Cin * K * K per layer.
constexpr double conv_flops(int cin, int cout, int k, int out_h, int out_w) {
  return 2.0 * cout * out_h * out_w * cin * k * k;
}
template <class Net>
constexpr double forward_flops();
template <>
constexpr double forward_flops<Initial>() {
  return conv_flops(3, 32, 3, 30, 30) + conv_flops(32, 32, 3, 28, 28) +
         conv_flops(32, 32, 3, 28, 28) + conv_flops(32, 3, 3, 30, 30);
}
template <>
constexpr double forward_flops<Final>() {
  return conv_flops(3, 100, 3, 30, 30) + conv_flops(100, 100, 3, 28, 28) +
         conv_flops(100, 100, 3, 28, 28) + conv_flops(200, 3, 3, 30, 30);
}

template <class S>
void fill_uniform(Batch<S>& b, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (std::size_t i = 0; i < b.size(); ++i)
    b.data()[i] = u(rng);
}

void set_counters(benchmark::State& state, std::size_t n, double flops_per_image) {
  state.counters["images/s"] =
      benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(double(n) * flops_per_image * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

template <class Net>
void BM_train(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  set_num_threads(int(state.range(1)));
  Net net{Seed{0}};
  Adam<float> opt(net.parameters(), {.lr = 1e-3});
  MSELoss<typename Net::output_shape> loss;
  Batch<Shape<3, 32, 32>> x(n), t(n);
  fill_uniform(x, 1);
  fill_uniform(t, 2);
  auto step = [&] {
    opt.zero_grad();
    float l = loss.forward(net.forward(x), t);
    net.backward(loss.backward());
    opt.step();
    return l;
  };
  step();  // the first step sizes the workspaces
  for (auto _ : state)
    benchmark::DoNotOptimize(step());
  set_counters(state, n, 3 * forward_flops<Net>());
  set_num_threads(0);
}

template <class Net>
void BM_infer(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  set_num_threads(int(state.range(1)));
  Net net{Seed{0}};
  Batch<Shape<3, 32, 32>> x(n);
  fill_uniform(x, 1);
  net.forward(x);
  for (auto _ : state)
    benchmark::DoNotOptimize(net.forward(x).data());
  set_counters(state, n, forward_flops<Net>());
  set_num_threads(0);
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "threads"});
  for (int batch : {8, 32, 128})
    for (int threads : {1, 2})
      b->Args({batch, threads});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK_TEMPLATE(BM_train, Final)->Name("train/final")->Apply(args);
BENCHMARK_TEMPLATE(BM_train, Initial)->Name("train/initial")->Apply(args);
BENCHMARK_TEMPLATE(BM_infer, Final)->Name("infer/final")->Apply(args);
BENCHMARK_TEMPLATE(BM_infer, Initial)->Name("infer/initial")->Apply(args);

}  // namespace

BENCHMARK_MAIN();
