#pragma once
/// \file
/// Direct convolution with bf16 operands and fp32 accumulation: the flat implicit GEMM of
/// flat_conv.hpp on the bf16 micro-kernels of bf16.hpp. FastConv (fast_conv.hpp) runs every
/// pass through it when conv_runs_bf16().
///
/// The float padded input that FlatConv<F> lays out is converted once per sample:
///  - forward and backward-data: to pair planes, plane p holding channels 2p and 2p + 1 side
///    by side at every position, so that a tap is still one pointer offset and VDPBF16PS
///    reduces over two channels at a time; A is packed with the same channel pairs;
///  - backward-weight: to plain bf16 planes; the rows of dy are rounded as each item lays
///    them out, and VDPBF16PS reduces over two neighbouring positions at a time.
/// Work items, and the order of every sum, are fixed as in the float kernels: results are
/// bit-identical for any number of threads.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ctnn/kernels/bf16.hpp"
#include "ctnn/kernels/flat_conv.hpp"
#include "ctnn/kernels/gemm.hpp"
#include "ctnn/kernels/parallel.hpp"

namespace ctnn::kernels::fast {

#ifdef CTNN_BF16_TARGET

template <Flat F>
struct FlatConvBf16 {
  /// The float layout this converts from.
  using Float = FlatConv<F>;
  static constexpr int L = bf16::lanes;
  static constexpr int M = F.out_channels, C = F.channels, K = F.kernel, KK = K * K;
  static constexpr int Cp = (C + 1) / 2;  // channel pairs
  static constexpr int N = C * KK;
  static constexpr int pitch = F.pitch, out_h = F.out_h, out_w = F.out_w, Nq = Float::Nq;
  static constexpr std::size_t cstride = Float::cstride;
  static constexpr auto taps = Float::taps;
  static constexpr int max_tap = taps[KK - 1];
  static constexpr int registers = 32;  // AVX-512

  // forward (outer product) tiling, as FlatConv's with 16 lanes and 32 registers
  static constexpr gemm::TileShape op = gemm::choose_op(M, Nq, L, registers);
  static constexpr int MR = op.mr, NV = op.n, NR = NV * L;
  static constexpr int panels = gemm::ceil_div(M, MR);
  static constexpr int qtiles = gemm::ceil_div(Nq, NR);
  static constexpr int QB = std::max(1, std::min(4, qtiles / 4));
  static constexpr int qblocks = gemm::ceil_div(qtiles, QB);
  /// Pairs in the packed A.
  static constexpr std::size_t apack_size = std::size_t(panels) * MR * Cp * KK;
  /// Pairs per sample of the pair planes: Cp planes and zeros that the last tile's excess
  /// columns may read.
  static constexpr std::size_t pair_stride =
      simd::round_up(Cp * cstride + std::size_t(max_tap + NR + L), 16);

  // backward-weight (inner product) tiling
  static constexpr gemm::TileShape ip = gemm::choose_ip(M, N, registers);
  static constexpr int MRW = ip.mr, NRW = ip.n;
  static constexpr int wpanels = gemm::ceil_div(M, MRW);
  static constexpr int wtiles = gemm::ceil_div(N, NRW);
  static constexpr int TB = std::min(wtiles, 32);
  static constexpr int wblocks = gemm::ceil_div(wtiles, TB);
  /// Reduction length: flat columns rounded up to whole bf16 vectors.
  static constexpr int Qp = int(simd::round_up(Nq, bf16::values));
  /// bf16 values per sample of the plain planes: as far as the last channel's last tap reads.
  static constexpr std::size_t value_stride =
      simd::round_up((C - 1) * cstride + std::size_t(max_tap + Qp), bf16::values);
  /// bf16 values of scratch one backward-weight item needs per sample: its MRW rows of dy.
  static constexpr std::size_t weight_scratch = std::size_t(MRW) * Qp;

  /// Packs A (M x N, value a(m, k), k = channel * KK + tap) into MR-row panels of channel
  /// pairs: element ((p * KK + t) * MR + i) of panel P is pair(a(m, 2p KK + t), a(m, (2p + 1)
  /// KK + t)) for m = P * MR + i; zeros past M and past C.
  template <class A>
  static void pack_a(A&& a, std::uint32_t* ap) {
    parallel_items(panels, [&](std::size_t p) {
      std::uint32_t* dst = ap + p * MR * Cp * KK;
      for (int i = 0; i < MR; ++i) {
        const int m = int(p) * MR + i;
        for (int cp = 0; cp < Cp; ++cp)
          for (int t = 0; t < KK; ++t) {
            const float lo = m < M ? a(m, 2 * cp * KK + t) : 0.0f;
            const float hi = m < M && 2 * cp + 1 < C ? a(m, (2 * cp + 1) * KK + t) : 0.0f;
            dst[std::size_t(cp * KK + t) * MR + i] = bf16::pair(lo, hi);
          }
      }
    });
  }

  /// One sample of Float's padded planes (Float::in_stride floats) as pair planes.
  static void to_pairs(const float* in, std::uint32_t* dst) {
    for (int cp = 0; cp < Cp; ++cp)
      bf16::pack_pairs(in + 2 * cp * cstride,
                       2 * cp + 1 < C ? in + (2 * cp + 1) * cstride : nullptr, dst + cp * cstride,
                       cstride);
    std::fill(dst + Cp * cstride, dst + pair_stride, 0u);
  }

  /// One sample of Float's padded planes as plain bf16 planes.
  static void to_values(const float* in, std::uint16_t* dst) {
    const std::size_t n = std::min(Float::in_stride, value_stride);
    bf16::convert(in, dst, n);
    std::fill(dst + n, dst + value_stride, std::uint16_t(0));
  }

  /// y[s][m][oy][ox] = sum A * X (+ bias[m] if bias) for n samples of pair planes.
  static void forward(const std::uint32_t* ap, const std::uint32_t* xin, const float* bias,
                      float* y, std::size_t y_stride, std::size_t n) {
    parallel_items(n * qblocks, [&](std::size_t item) {
      forward_item(ap, xin + item / qblocks * pair_stride, bias, y + item / qblocks * y_stride,
                   int(item % qblocks));
    });
  }

  CTNN_BF16_TARGET static void forward_item(const std::uint32_t* ap, const std::uint32_t* xs,
                                            const float* bias, float* ys, int qb) {
    alignas(64) float tile[MR * NR];
    const int t0 = qb * QB, t1 = std::min(qtiles, t0 + QB);
    for (int p = 0; p < panels; ++p) {
      const std::uint32_t* a = ap + std::size_t(p) * MR * Cp * KK;
      for (int t = t0; t < t1; ++t) {
        bf16::op_tile<MR, NV, taps>(a, xs + t * NR, std::ptrdiff_t(cstride), Cp, tile, NR);
        Float::template store_tile<MR, NR>(tile, p * MR, t * NR, ys, bias);
      }
    }
  }

  /// dw[m][k] += sum over samples and flat columns of dy[s][m][q] * x[s][channel(k)][q +
  /// tap(k)], both rounded to bf16, x given as plain bf16 planes (to_values). Each item lays
  /// out its own MRW rows of dy for all n samples in its slot of `scratch` (max_slots() * n *
  /// weight_scratch values), then runs each weight tile over all the samples in one call, its
  /// accumulators in registers.
  static void weight(const float* dy, const std::uint16_t* xin, float* dw, std::size_t n,
                     std::uint16_t* scratch) {
    parallel_items_in_slots(std::size_t(wpanels) * wblocks,
                            [&](std::size_t item, std::size_t slot) {
                              weight_item(dy, xin, dw, int(n), scratch + slot * n * weight_scratch,
                                          int(item / wblocks), int(item % wblocks));
                            });
  }

  CTNN_BF16_TARGET static void weight_item(const float* dy, const std::uint16_t* xin, float* dw,
                                           int n, std::uint16_t* dyq, int mp, int wb) {
    constexpr std::size_t dy_plane = std::size_t(out_h) * out_w, dy_stride = M * dy_plane;
    constexpr std::ptrdiff_t row_step = std::ptrdiff_t(MRW) * Qp;  // one sample's rows
    const int m0 = mp * MRW, rows = std::min(MRW, M - m0);
    const int tb0 = wb * TB, tb1 = std::min(wtiles, tb0 + TB);
    for (int s = 0; s < n; ++s)
      for (int i = 0; i < rows; ++i) {
        const float* src = dy + std::size_t(s) * dy_stride + std::size_t(m0 + i) * dy_plane;
        std::uint16_t* row = dyq + s * row_step + std::ptrdiff_t(i) * Qp;
        for (int oy = 0; oy < out_h; ++oy) {
          bf16::convert(src + oy * out_w, row + oy * pitch, out_w);
          std::fill(row + oy * pitch + out_w, row + (oy + 1) * pitch, std::uint16_t(0));
        }
        std::fill(row + Nq, row + Qp, std::uint16_t(0));
      }
    alignas(64) float acc[MRW * NRW * L];
    const std::uint16_t* ar[MRW];
    const std::uint16_t* br[NRW];
    // Rows past M repeat the last one; their sums are dropped below.
    for (int i = 0; i < MRW; ++i)
      ar[i] = dyq + std::size_t(std::min(i, rows - 1)) * Qp;
    for (int t = tb0; t < tb1; ++t) {
      // Columns past N repeat the last one, likewise.
      for (int j = 0; j < NRW; ++j) {
        const int k = std::min(t * NRW + j, N - 1);
        br[j] = xin + std::size_t(k / KK) * cstride + taps[k % KK];
      }
      std::fill(acc, acc + MRW * NRW * L, 0.0f);
      bf16::ip_tile<MRW, NRW>(ar, row_step, br, std::ptrdiff_t(value_stride), n, Qp / bf16::values,
                              acc);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < NRW && t * NRW + j < N; ++j)
          dw[std::size_t(m0 + i) * N + t * NRW + j] += bf16::hsum(acc + (i * NRW + j) * L);
    }
  }
};

#endif  // CTNN_BF16_TARGET

}  // namespace ctnn::kernels::fast
