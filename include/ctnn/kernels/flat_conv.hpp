#pragma once
/// \file
/// Direct convolution as flat implicit GEMM: one conv problem lowered to the micro-kernels of
/// gemm.hpp (FastConv in fast_conv.hpp runs every pass through it).
///
/// Unit stride (the common case) uses "flat" implicit GEMM: the input is zero-padded once
/// into planes of `pitch` columns, and output position (oy, ox) is read as flat index
/// q = oy * pitch + ox, so the input under tap (ky, kx) is the same plane shifted by
/// ky*d*pitch + kx*d: a pointer offset, no im2col copy. The pitch - out_w columns per row
/// that this computes in excess are dropped when the tile is stored.
///  - forward:          y = W * X over (channel, tap) with op_tile.
///  - backward-data:    the forward of the "full" conv (padding d(K-1) - p) of dy with the
///                      flipped, transposed weights, so it is the same op_tile code.
///  - backward-weight:  dW[co][(ci, tap)] = dot(dy_co, shifted x_ci) with ip_tile; each work
///                      item lays out its own rows of dy with the same pitch and zeros in the
///                      excess columns.
/// Other strides materialise im2col columns and run the same code as a 1x1 conv.
///
/// Work is split into fixed items (sample x column block, or weight tile) that do not depend
/// on the thread count, and every output value is written by one item in a fixed order, so
/// results are bit-identical for any number of threads. Workspaces grow on first use and are
/// reused: no allocation in steady state.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include "ctnn/kernels/gemm.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/simd.hpp"

// GCC 12 loses track of op_tile filling the whole tile (with the one-lane fallback, and with
// AVX-512 masked loads for narrow layers such as 8 channels on 16x16) and warns that store_tile
// may read it uninitialised: a false positive, silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define CTNN_FLAT_CONV_POP_DIAGNOSTIC
#endif

namespace ctnn::kernels::fast {

/// One flat GEMM problem: M outputs from `channels` input planes of rows x pitch, each read
/// through kernel x kernel taps of the given dilation; outputs are out_h x out_w.
struct Flat {
  int channels;
  int kernel;
  int dilation;
  int out_h, out_w;
  int pitch;
  int rows;
  int out_channels;
};

/// Copies an h x w plane into a rows x pitch plane at (top, left), zero elsewhere; parts that
/// fall outside the destination are clipped.
inline void pad_plane(const float* src, int h, int w, float* dst, int rows, int pitch, int top,
                      int left) {
  const int x0 = std::max(0, left), x1 = std::min(pitch, left + w);
  for (int r = 0; r < rows; ++r) {
    float* d = dst + std::ptrdiff_t(r) * pitch;
    const int sr = r - top;
    if (sr < 0 || sr >= h || x1 <= x0) {
      std::fill(d, d + pitch, 0.0f);
      continue;
    }
    std::fill(d, d + x0, 0.0f);
    std::memcpy(d + x0, src + std::ptrdiff_t(sr) * w + (x0 - left),
                std::size_t(x1 - x0) * sizeof(float));
    std::fill(d + x1, d + pitch, 0.0f);
  }
}

template <Flat F>
struct FlatConv {
  static constexpr int W = simd::width;
  static constexpr int M = F.out_channels, C = F.channels, K = F.kernel, KK = K * K, D = F.dilation;
  static constexpr int N = C * KK;  // reduction length of forward / columns of dW
  static constexpr int pitch = F.pitch, out_h = F.out_h, out_w = F.out_w;
  static constexpr std::size_t plane = std::size_t(F.rows) * F.pitch;
  /// Distance between channel planes: an odd number of cache lines, so that walking the
  /// channels does not keep hitting the same L1 sets (a 32 x 32 plane is exactly 4 KB).
  static constexpr std::size_t cstride = [] {
    const std::size_t c = simd::round_up(plane, 16);
    return (c / 16) % 2 ? c : c + 16;
  }();
  static constexpr int Nq = F.out_h * F.pitch;
  static_assert(F.rows >= F.out_h + D * (K - 1), "flat conv: padded plane too short");
  static_assert(F.pitch >= F.out_w + D * (K - 1), "flat conv: padded plane too narrow");

  // forward (outer product) tiling
  static constexpr gemm::TileShape op = gemm::choose_op(M, Nq, W, simd::registers);
  static constexpr int MR = op.mr, NV = op.n, NR = NV * W;
  static constexpr int panels = gemm::ceil_div(M, MR);
  static constexpr int qtiles = gemm::ceil_div(Nq, NR);
  /// Column tiles per work item: enough work per task, enough tasks for a batch of one.
  static constexpr int QB = std::max(1, std::min(4, qtiles / 4));
  static constexpr int qblocks = gemm::ceil_div(qtiles, QB);
  static constexpr std::size_t apack_size = std::size_t(panels) * MR * N;

  // backward-weight (inner product) tiling
  static constexpr gemm::TileShape ip = gemm::choose_ip(M, N, simd::registers);
  static constexpr int MRW = ip.mr, NRW = ip.n;
  static constexpr int wpanels = gemm::ceil_div(M, MRW);
  static constexpr int wtiles = gemm::ceil_div(N, NRW);
  static constexpr int TB = std::min(wtiles, 32);  // weight tiles per work item
  static constexpr int wblocks = gemm::ceil_div(wtiles, TB);
  /// Reduction length of backward-weight: flat columns rounded up to whole vectors.
  static constexpr int Qp = int(simd::round_up(Nq, W));

  static constexpr std::array<int, KK> taps = [] {
    std::array<int, KK> t{};
    for (int ky = 0; ky < K; ++ky)
      for (int kx = 0; kx < K; ++kx)
        t[ky * K + kx] = ky * D * F.pitch + kx * D;
    return t;
  }();

  /// Floats per sample of the padded input: the planes plus zeroed slack that the last
  /// tile's excess columns may read.
  static constexpr std::size_t in_stride =
      simd::round_up(C * cstride + std::size_t(D * (K - 1) + NR + W), 16);

  /// Packs A (M x N, value a(m, k), k = channel * KK + tap) into MR-row panels, zero-padded.
  template <class A>
  static void pack_a(A&& a, float* ap) {
    parallel_items(panels, [&](std::size_t p) {
      float* dst = ap + p * MR * N;
      for (int i = 0; i < MR; ++i) {
        const int m = int(p) * MR + i;
        for (int k = 0; k < N; ++k)
          dst[std::size_t(k) * MR + i] = m < M ? a(m, k) : 0.0f;
      }
    });
  }

  /// Lays out one sample of C planes h x w into the padded planes, the image at (top, left),
  /// zeroing the borders, the gaps between planes and the slack.
  static void pad_sample(const float* src, int h, int w, int top, int left, float* dst) {
    for (int c = 0; c < C; ++c) {
      float* d = dst + c * cstride;
      pad_plane(src + std::size_t(c) * h * w, h, w, d, F.rows, F.pitch, top, left);
      std::fill(d + plane, d + cstride, 0.0f);
    }
    std::fill(dst + C * cstride, dst + in_stride, 0.0f);
  }

  /// y[s][m][oy][ox] = sum A * X (+ bias[m] if bias) for n samples of padded input.
  static void forward(const float* ap, const float* xin, const float* bias, float* y,
                      std::size_t y_stride, std::size_t n) {
    parallel_items(n * qblocks, [&](std::size_t item) {
      const std::size_t s = item / qblocks;
      const int qb = int(item % qblocks);
      const float* xs = xin + s * in_stride;
      float* ys = y + s * y_stride;
      alignas(64) float tile[MR * NR];
      const int t0 = qb * QB, t1 = std::min(qtiles, t0 + QB);
      for (int p = 0; p < panels; ++p) {
        const float* a = ap + std::size_t(p) * MR * N;
        for (int t = t0; t < t1; ++t) {
          gemm::op_tile<MR, NV, taps>(a, xs + t * NR, std::ptrdiff_t(cstride), C, tile, NR);
          store_tile(tile, p * MR, t * NR, ys, bias);
        }
      }
    });
  }

  /// dst[j] = src[j] + b for j < len. Whole vectors; a last partial one is written as the
  /// vector ending at len, overlapping the previous one with the same values (a row of a few
  /// dozen values would otherwise spend most of its time in a scalar tail).
  static void copy_add(const float* src, float* dst, int len, float b) {
    if (len < W) {
      for (int j = 0; j < len; ++j)
        dst[j] = src[j] + b;
      return;
    }
    const simd::vec bv(b);
    int j = 0;
    for (; j + W <= len; j += W)
      simd::store(dst + j, simd::load(src + j) + bv);
    if (j < len) simd::store(dst + len - W, simd::load(src + len - W) + bv);
  }

  /// Copies the valid columns of one TMR x TNR tile (rows TNR apart) to y, adding the bias.
  template <int TMR = MR, int TNR = NR>
  static void store_tile(const float* tile, int m0, int q0, float* ys, const float* bias) {
    const int mr = std::min(TMR, M - m0);
    const int q1 = std::min(q0 + TNR, Nq);
    for (int q = q0; q < q1;) {
      const int oy = q / pitch, ox = q - oy * pitch;
      const int row_end = std::min(q1, (oy + 1) * pitch);
      if (ox < out_w) {
        const int len = std::min(row_end, oy * pitch + out_w) - q;
        for (int i = 0; i < mr; ++i)
          copy_add(tile + i * TNR + (q - q0), ys + (std::size_t(m0 + i) * out_h + oy) * out_w + ox,
                   len, bias ? bias[m0 + i] : 0.0f);
      }
      q = row_end;
    }
  }

  /// Floats of scratch one backward-weight item needs: its MRW rows of dy laid out flat.
  static constexpr std::size_t weight_scratch = std::size_t(MRW) * Qp;

  /// dw[m][k] += sum over samples and flat columns of dyq[s][m][q] * x[s][channel(k)][q +
  /// tap(k)], where dyq is dy (n samples of M x out_h x out_w) laid out with the input's pitch
  /// and zeros in the excess columns. Each item lays out its own MRW rows of dy, sample by
  /// sample, in its slot of `scratch` (max_slots() * weight_scratch floats): they stay in L1,
  /// and dy is read once instead of written out whole and read back. Each weight tile is
  /// owned by one item and reduced over the samples in order.
  static void weight(const float* dy, const float* xin, float* dw, std::size_t n, float* scratch) {
    constexpr std::size_t dy_plane = std::size_t(out_h) * out_w, dy_stride = M * dy_plane;
    parallel_items_in_slots(
        std::size_t(wpanels) * wblocks, [&](std::size_t item, std::size_t slot) {
          const int mp = int(item / wblocks), wb = int(item % wblocks);
          const int m0 = mp * MRW, rows = std::min(MRW, M - m0);
          const int tb0 = wb * TB, tb1 = std::min(wtiles, tb0 + TB);
          float* dyq = scratch + slot * weight_scratch;
          simd::vec acc[TB][MRW * NRW];
          for (int t = 0; t < tb1 - tb0; ++t)
            for (int e = 0; e < MRW * NRW; ++e)
              acc[t][e] = simd::vec(0.0f);
          const float* ar[MRW];
          const float* br[NRW];
          // Rows past M repeat the last one; their sums are dropped below.
          for (int i = 0; i < MRW; ++i)
            ar[i] = dyq + std::size_t(std::min(i, rows - 1)) * Qp;
          for (std::size_t s = 0; s < n; ++s) {
            for (int i = 0; i < rows; ++i) {
              float* row = dyq + std::size_t(i) * Qp;
              pad_plane(dy + s * dy_stride + std::size_t(m0 + i) * dy_plane, out_h, out_w, row,
                        out_h, pitch, 0, 0);
              std::fill(row + Nq, row + Qp, 0.0f);
            }
            const float* xs = xin + s * in_stride;
            for (int t = tb0; t < tb1; ++t) {
              // Columns past N repeat the last one, likewise.
              for (int j = 0; j < NRW; ++j) {
                const int k = std::min(t * NRW + j, N - 1);
                br[j] = xs + std::size_t(k / KK) * cstride + taps[k % KK];
              }
              gemm::ip_tile<MRW, NRW>(ar, br, Qp / W, acc[t - tb0]);
            }
          }
          for (int t = tb0; t < tb1; ++t)
            for (int i = 0; i < rows; ++i)
              for (int j = 0; j < NRW && t * NRW + j < N; ++j)
                dw[std::size_t(m0 + i) * N + t * NRW + j] += simd::hsum(acc[t - tb0][i * NRW + j]);
        });
  }
};

}  // namespace ctnn::kernels::fast

#ifdef CTNN_FLAT_CONV_POP_DIAGNOSTIC
#pragma GCC diagnostic pop
#undef CTNN_FLAT_CONV_POP_DIAGNOSTIC
#endif
