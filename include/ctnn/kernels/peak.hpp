#pragma once
/// \file
/// The machine's FMA peak, measured: `threads` threads each running independent SIMD FMA
/// chains (enough to cover the FMA latency on two ports) for a fixed time. The benchmarks
/// report every figure as a fraction of this. Not part of the layers' path.

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "ctnn/kernels/simd.hpp"

namespace ctnn::kernels {

/// GFLOP/s (2 per lane per FMA) of `threads` threads running FMA loops for `seconds`.
inline double measure_fma_peak_gflops(int threads, double seconds = 0.5) {
  using simd::vec;
  constexpr int chains = 24;
  std::atomic<bool> stop{false};
  std::vector<double> flops(std::size_t(threads), 0.0);
  std::vector<float> sink(std::size_t(threads), 0.0f);
  auto work = [&](int t) {
    vec acc[chains];
    for (int i = 0; i < chains; ++i)
      acc[i] = vec(float(i) * 1e-3f);
    vec mul(0.9999999f), add(1e-7f);
    simd::keep_in_register(mul);
    simd::keep_in_register(add);
    long iters = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int r = 0; r < 4096; ++r) {
#pragma GCC unroll 24
        for (int i = 0; i < chains; ++i)
          acc[i] = simd::fma(acc[i], mul, add);
      }
      iters += 4096;
    }
    float s = 0;
    for (int i = 0; i < chains; ++i)
      s += simd::hsum(acc[i]);
    sink[std::size_t(t)] = s;  // keeps the loop alive
    flops[std::size_t(t)] = double(iters) * chains * simd::width * 2.0;
  };
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(work, t);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool)
    th.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double total = 0;
  for (double f : flops)
    total += f;
  return total / elapsed * 1e-9;
}

}  // namespace ctnn::kernels
