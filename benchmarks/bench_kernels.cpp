// Per-kernel speed on the course's conv shapes, in GFLOP/s (2 x multiply-adds per second).
// Each layer's three passes as the layer calls them: forward, backward-data (dx) and
// backward-weight (dw). Arguments: batch size, threads. This program's own flags
// (bench_flags.hpp): --conv=direct, --precision=bf16.

#include <cstddef>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_flags.hpp"
#include "ctnn/kernels/conv.hpp"
#include "ctnn/kernels/parallel.hpp"

using ctnn::kernels::ConvGeometry;

namespace {

constexpr ConvGeometry conv(int ci, int co, int k, int h, int w) {
  return {ci, co, k, 1, 0, 1, h, w, h - k + 1, w - k + 1};
}
/// A ConvTranspose2d<ci, co, k> on h x w is the conv co -> ci from (h+k-1) x (w+k-1).
constexpr ConvGeometry conv_t(int ci, int co, int k, int h, int w) {
  return {co, ci, k, 1, 0, 1, h + k - 1, w + k - 1, h, w};
}

enum class Pass { forward, backward_data, backward_weight };

std::vector<float> random_vec(std::size_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& e : v)
    e = u(rng);
  return v;
}

/// `transposed`: the layer is a ConvTranspose2d, whose forward is the geometry's
/// backward-data and whose dx is the geometry's forward.
template <ConvGeometry G, bool transposed, Pass pass>
void BM_conv(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  ctnn::set_num_threads(int(state.range(1)));
  ctnn::kernels::ConvKernel<G, float> k;
  const auto in = random_vec(n * G.in_size()), out = random_vec(n * G.out_size()),
             w = random_vec(G.weight_size()), b = random_vec(std::size_t(G.out_channels));
  std::vector<float> in_res(in.size()), out_res(out.size()), dw(w.size());
  const bool geo_forward = (pass == Pass::forward) != transposed && pass != Pass::backward_weight;
  for (auto _ : state) {
    if (pass == Pass::backward_weight)
      k.backward_weight(in.data(), out.data(), dw.data(), n);
    else if (geo_forward)
      k.forward(in.data(), w.data(), b.data(), out_res.data(), n);
    else
      k.backward_data(out.data(), w.data(), in_res.data(), n);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(G.flops_per_sample() * double(n) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  ctnn::set_num_threads(0);
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "threads"});
  for (int batch : {8, 32})
    for (int threads : {1, 2})
      b->Args({batch, threads});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

#define CTNN_BENCH_LAYER(NAME, GEO, T)                                                    \
  BENCHMARK_TEMPLATE(BM_conv, GEO, T, Pass::forward)->Name(NAME "/forward")->Apply(args); \
  BENCHMARK_TEMPLATE(BM_conv, GEO, T, Pass::backward_data)                                \
      ->Name(NAME "/backward_data")                                                       \
      ->Apply(args);                                                                      \
  BENCHMARK_TEMPLATE(BM_conv, GEO, T, Pass::backward_weight)                              \
      ->Name(NAME "/backward_weight")                                                     \
      ->Apply(args)

// final model
CTNN_BENCH_LAYER("Conv2d_3_100", conv(3, 100, 3, 32, 32), false);
CTNN_BENCH_LAYER("Conv2d_100_100", conv(100, 100, 3, 30, 30), false);
CTNN_BENCH_LAYER("ConvT_100_100", conv_t(100, 100, 3, 28, 28), true);
CTNN_BENCH_LAYER("ConvT_200_3", conv_t(200, 3, 3, 30, 30), true);
// initial (32-channel) model
CTNN_BENCH_LAYER("Conv2d_3_32", conv(3, 32, 3, 32, 32), false);
CTNN_BENCH_LAYER("Conv2d_32_32", conv(32, 32, 3, 30, 30), false);
CTNN_BENCH_LAYER("ConvT_32_32", conv_t(32, 32, 3, 28, 28), true);
CTNN_BENCH_LAYER("ConvT_32_3", conv_t(32, 3, 3, 30, 30), true);

}  // namespace

int main(int argc, char** argv) {
  bench::take_conv_flag(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
