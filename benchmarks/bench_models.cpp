// Whole-model speed: a training step (zero_grad, forward, MSE, backward, Adam) and inference
// (forward; DnCNN in eval mode), in images/s, on 1 and 2 threads, for
// - the course's two denoisers at 32 x 32, batch 8, 32 and 128;
// - the model zoo's U-Net (Noise2Noise) at the trainer's 32 x 32 tiles, batch 8, and at
//   128 x 128, batch 4 (its deepest levels are 1 x 1 at 32 x 32, 4 x 4 at 128 x 128), and
//   DnCNN at 32 x 32, batch 8 (every layer keeps the size, so a larger tile says little more).
// GFLOP/s counts the conv multiply-adds only (2 per multiply-add; the element-wise work is not
// counted, so it only lowers the figure).
//
// breakdown/<model>/...: the U-Net's and DnCNN's training step again, walked layer by layer
// (layer_profile.hpp) with each call timed by kind: the share of the step in convolutions,
// pooling, batch norm, upsampling, concatenation, activations, loss and optimizer, as counters
// ("<part>%" of the step, "<part>_ms" per step). With --layers (this program's own flag), a
// table per breakdown run follows the benchmarks: each layer's forward and backward time per
// step, its share of the step, and each conv's GFLOP/s.

#include <cstddef>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_flags.hpp"
#include "ctnn/ctnn.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/unet.hpp"
#include "layer_profile.hpp"

using namespace ctnn;

namespace {

// The 32-channel model of the course's first report.
using Initial = Sequential<Input<3, 32, 32>, Conv2d<3, 32, 3>, ReLU, Conv2d<32, 32, 3>, ReLU,
                           ConvTranspose2d<32, 32, 3>, ReLU, ConvTranspose2d<32, 3, 3>, Sigmoid>;
// The final model: 100 channels and a skip connection.
using Final = Sequential<Input<3, 32, 32>, Conv2d<3, 100, 3>, ReLU,
                         SkipConcat<Conv2d<100, 100, 3>, ReLU, ConvTranspose2d<100, 100, 3>, ReLU>,
                         ConvTranspose2d<200, 3, 3>, Sigmoid>;

using UNet32 = models::UNet<32, 32>;
using UNet128 = models::UNet<128, 128>;
using DnCNN32 = models::DnCNN<32, 32>;

template <class Net>
inline constexpr const char* label = "";
template <>
inline constexpr const char* label<UNet32> = "unet32";
template <>
inline constexpr const char* label<UNet128> = "unet128";
template <>
inline constexpr const char* label<DnCNN32> = "dncnn32";

/// --layers: the per-layer tables of the breakdown runs, printed after the benchmarks (the
/// last run of each configuration, the one Google Benchmark reports).
bool print_layers = false;
std::map<std::string, std::string>& layer_tables() {
  static std::map<std::string, std::string> tables;
  return tables;
}

/// A Markdown table of a walk's rows: time per step of each layer, its share of the step, and
/// each conv's GFLOP/s (forward: 1x its FLOPs, backward: 2x).
std::string layer_table(const std::vector<bench::Row>& rows, double steps, std::size_t n,
                        double step_s) {
  std::string out =
      "| layer | input | part | forward ms | backward ms | % of step | conv fwd GFLOP/s | "
      "conv bwd GFLOP/s |\n|---|---|---|---|---|---|---|---|\n";
  char line[512];
  for (const auto& r : rows) {
    const double f = r.forward_s / steps, b = r.backward_s / steps;
    std::string gf = "| - | - |";
    if (r.flops > 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "| %.1f | %.1f |", r.flops * double(n) * 1e-9 / f,
                    2 * r.flops * double(n) * 1e-9 / b);
      gf = buf;
    }
    std::snprintf(line, sizeof line, "| %s | %s | %s | %.3f | %.3f | %.1f %s\n", r.name.c_str(),
                  r.input.c_str(), bench::part_names[std::size_t(r.part)], 1e3 * f, 1e3 * b,
                  100 * (f + b) / step_s, gf.c_str());
    out += line;
  }
  return out;
}

/// Conv FLOPs of one forward pass per image: 2 * Cout * Ho * Wo * Cin * K * K per layer.
constexpr double conv_flops(int cin, int cout, int k, int out_h, int out_w) {
  return 2.0 * cout * out_h * out_w * cin * k * k;
}
/// The model zoo's: summed over the layers' conv geometries (bench::Walk).
template <class Net>
constexpr double forward_flops() {
  return bench::Walk<Net>::flops();
}
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
  Batch<typename Net::input_shape> x(n), t(n);
  fill_uniform(x, 1);
  fill_uniform(t, 2);
  auto step = [&] {
    opt.zero_grad();
    float l = loss.forward(net.forward(x), t);
    net.backward_parameters(loss.backward());
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
  net.eval();  // BatchNorm2d (DnCNN) normalises with its running statistics
  Batch<typename Net::input_shape> x(n);
  fill_uniform(x, 1);
  net.forward(x);
  for (auto _ : state)
    benchmark::DoNotOptimize(net.forward(x).data());
  set_counters(state, n, forward_flops<Net>());
  set_num_threads(0);
}

/// The training step walked layer by layer: bench::Walk runs the net's own layers as
/// Sequential does, timing each call by kind. Checked once against Sequential's own step (the
/// same kernels on the same data give the same bits).
template <class Net>
void BM_breakdown(benchmark::State& state) {
  using bench::Times;
  const auto n = std::size_t(state.range(0));
  set_num_threads(int(state.range(1)));
  Net net{Seed{0}};
  Adam<float> opt(net.parameters(), {.lr = 1e-3});
  MSELoss<typename Net::output_shape> loss;
  Batch<typename Net::input_shape> x(n), t(n);
  fill_uniform(x, 1);
  fill_uniform(t, 2);
  bench::Walk<Net> walk;
  Times times;
  auto step = [&] {
    auto start = Times::clock::now();
    opt.zero_grad();
    times.add(bench::optimizer, start);
    const auto& y = walk.forward(net, x, times);
    start = Times::clock::now();
    float l = loss.forward(y, t);
    const auto& dy = loss.backward();
    times.add(bench::loss, start);
    walk.backward(net, dy, times);
    start = Times::clock::now();
    opt.step();
    times.add(bench::optimizer, start);
    return l;
  };
  {
    // The walk computes what Sequential computes: output and input gradient, bit for bit.
    opt.zero_grad();
    const auto& y = net.forward(x);
    std::vector<float> y_net(y.data(), y.data() + y.size());
    loss.forward(y, t);
    const auto& g = net.backward(loss.backward());
    std::vector<float> g_net(g.data(), g.data() + g.size());
    opt.zero_grad();
    const auto& yw = walk.forward(net, x, times);
    loss.forward(yw, t);
    const auto& gw = walk.backward(net, loss.backward(), times);
    if (std::memcmp(y_net.data(), yw.data(), y_net.size() * sizeof(float)) != 0 ||
        std::memcmp(g_net.data(), gw.data(), g_net.size() * sizeof(float)) != 0) {
      state.SkipWithError("the layer walk does not compute what Sequential computes");
      set_num_threads(0);
      return;
    }
  }
  step();  // the first step sizes the workspaces
  times = Times{};
  walk.reset();
  for (auto _ : state)
    benchmark::DoNotOptimize(step());
  const double steps = double(state.iterations()), total = times.total();
  if (print_layers) {
    std::vector<bench::Row> rows;
    walk.collect(net, rows);
    layer_tables()[std::string(label<Net>) + ", batch " + std::to_string(n) + ", " +
                   std::to_string(state.range(1)) + " thread(s)"] =
        layer_table(rows, steps, n, total / steps);
  }
  for (int p = 0; p < bench::num_parts; ++p) {
    const std::string name = bench::part_names[std::size_t(p)];
    state.counters[name + "%"] = 100.0 * times.seconds[std::size_t(p)] / total;
    state.counters[name + "_ms"] = 1e3 * times.seconds[std::size_t(p)] / steps;
  }
  // The group docs/performance.md bounds (at most 15 % of the step): the layers around the
  // convolutions that only move or normalise data.
  const double small = times.seconds[bench::pool] + times.seconds[bench::batch_norm] +
                       times.seconds[bench::upsample] + times.seconds[bench::concat];
  state.counters["pool+bn+up+concat%"] = 100.0 * small / total;
  state.counters["step_ms"] = 1e3 * total / steps;
  set_counters(state, n, 3 * forward_flops<Net>());
  set_num_threads(0);
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "threads"});
  for (int batch : {8, 32, 128})
    for (int threads : {1, 2})
      b->Args({batch, threads});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

/// One batch size, 1 and 2 threads.
template <int Batch>
void args_batch(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "threads"});
  for (int threads : {1, 2})
    b->Args({Batch, threads});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK_TEMPLATE(BM_train, Final)->Name("train/final")->Apply(args);
BENCHMARK_TEMPLATE(BM_train, Initial)->Name("train/initial")->Apply(args);
BENCHMARK_TEMPLATE(BM_train, UNet32)->Name("train/unet32")->Apply(args_batch<8>);
BENCHMARK_TEMPLATE(BM_train, UNet128)->Name("train/unet128")->Apply(args_batch<4>);
BENCHMARK_TEMPLATE(BM_train, DnCNN32)->Name("train/dncnn32")->Apply(args_batch<8>);
BENCHMARK_TEMPLATE(BM_infer, Final)->Name("infer/final")->Apply(args);
BENCHMARK_TEMPLATE(BM_infer, Initial)->Name("infer/initial")->Apply(args);
BENCHMARK_TEMPLATE(BM_infer, UNet32)->Name("infer/unet32")->Apply(args_batch<8>);
BENCHMARK_TEMPLATE(BM_infer, UNet128)->Name("infer/unet128")->Apply(args_batch<4>);
BENCHMARK_TEMPLATE(BM_infer, DnCNN32)->Name("infer/dncnn32")->Apply(args_batch<8>);
BENCHMARK_TEMPLATE(BM_breakdown, UNet32)->Name("breakdown/unet32")->Apply(args_batch<8>);
BENCHMARK_TEMPLATE(BM_breakdown, UNet128)->Name("breakdown/unet128")->Apply(args_batch<4>);
BENCHMARK_TEMPLATE(BM_breakdown, DnCNN32)->Name("breakdown/dncnn32")->Apply(args_batch<8>);

}  // namespace

int main(int argc, char** argv) {
  // This program's own flags: --layers, --conv=direct (bench_flags.hpp).
  print_layers = bench::take_flag(argc, argv, "--layers");
  bench::take_conv_flag(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (const auto& [name, table] : layer_tables())
    std::printf("\n### Training step by layer: %s\n\n%s", name.c_str(), table.c_str());
  return 0;
}
