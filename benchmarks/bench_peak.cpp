// The machine's peaks at a given thread count, measured in the same run as ctnn:
// - fma_peak: SIMD FMA chains only (ctnn::kernels::measure_fma_peak_gflops), the ceiling;
// - sgemm: OpenBLAS sgemm, the practical peak of a tuned GEMM, on a large square problem and
//   on the shape a 3x3 conv 100 -> 100 at batch 32 lowers to (100 x 25088 x 900).

#include <cstddef>
#include <vector>

#include <benchmark/benchmark.h>

#include "ctnn/kernels/peak.hpp"

#ifdef CTNN_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace {

void BM_fma_peak(benchmark::State& state) {
  const int threads = int(state.range(0));
  double gflops = 0;
  for (auto _ : state)
    gflops = ctnn::kernels::measure_fma_peak_gflops(threads, 1.0);
  state.counters["GFLOP/s"] = gflops;
}
BENCHMARK(BM_fma_peak)
    ->Name("fma_peak")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

#ifdef CTNN_HAVE_OPENBLAS
void BM_sgemm(benchmark::State& state) {
  const int m = int(state.range(0)), n = int(state.range(1)), k = int(state.range(2));
  openblas_set_num_threads(int(state.range(3)));
  std::vector<float> a(std::size_t(m) * k, 0.5f), b(std::size_t(k) * n, 0.25f),
      c(std::size_t(m) * n, 0.0f);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k, b.data(), n,
                0.0f, c.data(), n);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_sgemm)
    ->Name("sgemm")
    ->ArgNames({"m", "n", "k", "threads"})
    ->Args({2048, 2048, 2048, 1})
    ->Args({2048, 2048, 2048, 2})
    ->Args({100, 25088, 900, 1})
    ->Args({100, 25088, 900, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
#endif

}  // namespace

BENCHMARK_MAIN();
