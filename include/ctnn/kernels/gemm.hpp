#pragma once
/// \file
/// Register-blocked SIMD micro-kernels behind every fast conv pass, and the compile-time
/// choice of their tile sizes.
///
/// - `op_tile` (outer product, used by forward and backward-data): an MR x NV*width tile of
///   C += A * B where A is packed (k-major, MR values per k, broadcast) and the rows of B are
///   contiguous slices of a padded input plane at compile-time tap offsets, so im2col is
///   implicit: a conv tap is just a pointer offset.
/// - `ip_tile` (inner product, used by backward-weight): an MR x NR tile of dot products of
///   long contiguous rows, the reduction running along the vector lanes; the lanes are summed
///   once at the very end.

#include <algorithm>
#include <array>
#include <cstddef>

#include "ctnn/kernels/simd.hpp"

namespace ctnn::kernels::gemm {

using simd::vec;

/// Register tile: MR rows by `n` (vectors for op_tile, rows for ip_tile).
struct TileShape {
  int mr;
  int n;
};

constexpr int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}

/// Throughput model of one k-step of op_tile: MR*NV FMAs (two ports), MR broadcasts plus NV
/// unaligned loads that often split cache lines (counted 3 slots each: measured, they make
/// narrow-M tiles load-bound), two load ports, at least the FMA latency of 4 cycles per
/// accumulator; times the share of the tile that is not padding in M and N. Tiles that
/// leave fewer than 3 spare registers spilled in measurements; among equals, larger tiles
/// and fewer vectors per row win.
constexpr TileShape choose_op(int m, int nq, int width, int regs, double* efficiency = nullptr) {
  TileShape best{1, 1};
  double best_score = -1, best_eff = 0;
  for (int nv = 1; nv <= 6; ++nv)
    for (int mr = 1; mr <= 16; ++mr) {
      if (mr * nv + nv + 1 > regs - 3) continue;
      const double fma_cycles = mr * nv / 2.0;
      const double load_cycles = (mr + 3.0 * nv) / 2.0;
      const double cycles = std::max({fma_cycles, load_cycles, 4.0});
      const double core = fma_cycles / cycles;
      const double m_eff = double(m) / (ceil_div(m, mr) * mr);
      const int nr = nv * width;
      const double n_eff = double(nq) / (ceil_div(nq, nr) * nr);
      // Larger tiles amortise the per-tile epilogue: a small tie-breaker.
      const double score = core * m_eff * n_eff * (1.0 + 1e-3 * mr * nv - 1e-4 * nv);
      if (score > best_score) {
        best_score = score;
        best_eff = core * m_eff * n_eff;
        best = {mr, nv};
      }
    }
  if (efficiency) *efficiency = best_eff;
  return best;
}

/// The modelled fraction of the FMA peak op_tile reaches on an m x nq problem.
constexpr double op_efficiency(int m, int nq, int width, int regs) {
  double e = 0;
  choose_op(m, nq, width, regs, &e);
  return e;
}

/// Same model for ip_tile: MR*NR FMAs against MR + NR row loads (the NR rows unaligned).
constexpr TileShape choose_ip(int m, int n, int regs, double* efficiency = nullptr) {
  TileShape best{1, 1};
  double best_score = -1, best_eff = 0;
  for (int nr = 1; nr <= 8; ++nr)
    for (int mr = 1; mr <= 8; ++mr) {
      if (mr * nr + nr + 1 > regs - 1) continue;
      const double fma_cycles = mr * nr / 2.0;
      const double load_cycles = (mr + 2.0 * nr) / 2.0;
      const double cycles = std::max({fma_cycles, load_cycles, 4.0});
      const double core = fma_cycles / cycles;
      const double m_eff = double(m) / (ceil_div(m, mr) * mr);
      const double n_eff = double(n) / (ceil_div(n, nr) * nr);
      const double score = core * m_eff * n_eff * (1.0 + 1e-3 * mr * nr);
      if (score > best_score) {
        best_score = score;
        best_eff = core * m_eff * n_eff;
        best = {mr, nr};
      }
    }
  if (efficiency) *efficiency = best_eff;
  return best;
}

/// The modelled fraction of the FMA peak ip_tile reaches on an m x n problem.
constexpr double ip_efficiency(int m, int n, int regs) {
  double e = 0;
  choose_ip(m, n, regs, &e);
  return e;
}

/// c[i * ldc + j] = sum over channels ch < nch and taps t of
///   a[(ch * Taps.size() + t) * MR + i] * b[ch * cstride + Taps[t] + j],  j < NV * width.
/// `a` is one packed panel of A; `b` points at the tile's first column.
template <int MR, int NV, auto Taps>
inline void op_tile(const float* __restrict a, const float* __restrict b, std::ptrdiff_t cstride,
                    int nch, float* __restrict c, int ldc) {
  constexpr int W = simd::width;
  constexpr int KK = int(Taps.size());
  // Plain loops with compile-time bounds: GCC unrolls them fully and keeps acc in registers
  // (nested lambdas were not inlined and left the accumulators on the stack).
  vec acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j)
      acc[i][j] = vec(0.0f);
  for (int ch = 0; ch < nch; ++ch, b += cstride, a += KK * MR) {
#pragma GCC unroll 49
    for (int t = 0; t < KK; ++t) {
      vec bv[NV];
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j)
        bv[j] = simd::load(b + Taps[t] + j * W);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const vec av(a[t * MR + i]);
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j)
          acc[i][j] = simd::fma(av, bv[j], acc[i][j]);
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j)
      simd::store(c + i * ldc + j * W, acc[i][j]);
}

/// acc[i * NR + j] += sum over q < nvec * width of ar[i][q] * br[j][q].
/// The accumulators live in memory between calls so that one tile can be carried across
/// samples without reducing the lanes each time.
template <int MR, int NR>
inline void ip_tile(const float* const* ar_in, const float* const* br_in, int nvec,
                    vec* __restrict acc_mem) {
  constexpr int W = simd::width;
  const float* ar[MR];
  const float* br[NR];
  vec acc[MR][NR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    ar[i] = ar_in[i];
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j)
      acc[i][j] = acc_mem[i * NR + j];
  }
#pragma GCC unroll 16
  for (int j = 0; j < NR; ++j)
    br[j] = br_in[j];
  for (int v = 0; v < nvec; ++v) {
    const std::ptrdiff_t q = std::ptrdiff_t(v) * W;
    vec bv[NR];
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j) {
      bv[j] = simd::load(br[j] + q);
      simd::keep_in_register(bv[j]);
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      vec av = simd::load(ar[i] + q);
      simd::keep_in_register(av);
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j)
        acc[i][j] = simd::fma(av, bv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j)
      acc_mem[i * NR + j] = acc[i][j];
}

}  // namespace ctnn::kernels::gemm
