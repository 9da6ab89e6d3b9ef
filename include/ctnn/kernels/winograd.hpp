#pragma once
/// \file
/// Winograd convolution F(m x m, 3 x 3) for 3x3, stride-1, dilation-1 correlations: the
/// forward pass, backward-data (itself such a correlation) and backward-weight.
///
/// The output is cut into m x m tiles; tile t of channel c reads an alpha x alpha patch
/// (alpha = m + 2) of the zero-padded input. With the transform matrices B^T, G, A^T of
/// Transform<m>:
///   V[xi][c][t]  = (B^T d B)[xi]            input patch d, xi = (i, j) < alpha^2
///   U[xi][o][c]  = (G g G^T)[xi]            3x3 filter g = w[o][c]
///   Mx[xi][o][t] = sum_c U[xi][o][c] V[xi][c][t]    (alpha^2 GEMMs)
///   y tile       = A^T Mx A
/// so a tile costs alpha^2 multiply-adds per channel pair instead of 9 m^2 (2.25x fewer for
/// m = 2, 4x for m = 4), plus the transforms, which are linear in the channel count.
/// Backward-weight is the transpose of the same algebra:
///   dU[xi][o][c] = sum_t (A dY A^T)[xi][o][t] V[xi][c][t],   dw[o][c] += G^T dU G.
///
/// Layout: the transforms run with one tile per SIMD lane (tiles are gathered into an
/// aligned patch first), V and the transformed dy are [xi][channel][tile] with tiles
/// contiguous, so every GEMM is the direct kernels' micro-kernels: op_tile with a single tap
/// (forward), ip_tile (backward-weight). Tiles are numbered across the samples of a batch
/// and processed in chunks whose workspaces fit a fixed budget, so any image size works.
///
/// Determinism: every output value is produced by one work item in a fixed order, and the
/// work items do not depend on the thread count, so results are bit-identical for any
/// number of threads, as for the direct kernels (their values differ from the direct ones by
/// rounding: see docs/performance.md for the error bound).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ctnn/kernels/gemm.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/simd.hpp"

namespace ctnn::kernels::winograd {

/// The transform matrices of F(m x m, 3 x 3) (Lavin and Gray 2016), interpolation points
/// 0, +-1 (m = 2) and 0, +-1, +-2 (m = 4), plus the point at infinity. A 1-D correlation
/// y_i = sum_k g_k d_{i+k}, i < m, is y = A^T [(G g) .* (B^T d)].
template <int M>
struct Transform;

template <>
struct Transform<2> {
  static constexpr int m = 2, alpha = 4;
  static constexpr float bt[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static constexpr double g[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  static constexpr float at[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
};

template <>
struct Transform<4> {
  static constexpr int m = 4, alpha = 6;
  static constexpr float bt[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0},
                                     {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0},
                                     {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
  static constexpr double g[6][3] = {{1.0 / 4, 0, 0},
                                     {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                     {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                     {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                     {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                     {0, 0, 1}};
  static constexpr float at[4][6] = {
      {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
};

/// A stride-1 3x3 correlation of `channels` planes in_h x in_w, zero-padded by `pad` on
/// every side, into `outputs` planes out_h x out_w (out = in + 2 pad - 2).
struct Problem {
  int channels;
  int outputs;
  int in_h, in_w;
  int pad;
  int out_h, out_w;

  constexpr std::size_t in_size() const { return std::size_t(channels) * in_h * in_w; }
  constexpr std::size_t out_size() const { return std::size_t(outputs) * out_h * out_w; }
};

namespace detail {

/// acc + c * x, with the multiplication left out for c = +-1 and nothing for c = 0. Called
/// with compile-time matrix entries in fully unrolled loops, so the tests fold away.
template <class V>
[[gnu::always_inline]] inline V madd(V acc, float c, V x) {
  if (c == 0.0f) return acc;
  if (c == 1.0f) return acc + x;
  if (c == -1.0f) return acc - x;
  return simd::fma(V(c), x, acc);
}

/// out[i * os] = sum_k mat[i][k] * in[k * is] for i < R, k < C (vectors).
template <int R, int C, class V>
[[gnu::always_inline]] inline void apply(const float (&mat)[R][C], const V* in, int is, V* out,
                                         int os) {
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    V acc(0.0f);
#pragma GCC unroll 8
    for (int k = 0; k < C; ++k)
      acc = madd(acc, mat[i][k], in[k * is]);
    out[i * os] = acc;
  }
}

/// out[k * os] = sum_i mat[i][k] * in[i * is] for k < C, i < R: the transposed matrix.
template <int R, int C, class V>
[[gnu::always_inline]] inline void apply_transposed(const float (&mat)[R][C], const V* in, int is,
                                                    V* out, int os) {
#pragma GCC unroll 8
  for (int k = 0; k < C; ++k) {
    V acc(0.0f);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i)
      acc = madd(acc, mat[i][k], in[i * is]);
    out[k * os] = acc;
  }
}

/// Where one tile of a chunk lives: its sample, its top-left output position, and whether its
/// whole input patch lies inside the input (no zero padding to apply).
struct TileInfo {
  std::int32_t sample;
  std::int32_t oy, ox;
  bool interior;
};

}  // namespace detail

/// Winograd F(M x M, 3 x 3) for one problem. Holds its workspaces: they grow on the first
/// call and are reused, so steady-state calls do not allocate.
template <Problem P, int M>
class WinogradConv {
 public:
  using T = Transform<M>;
  static constexpr int m = M, alpha = T::alpha, A2 = alpha * alpha;
  static constexpr int C = P.channels, O = P.outputs;
  static constexpr int W = simd::width;
  static constexpr int tiles_y = (P.out_h + M - 1) / M, tiles_x = (P.out_w + M - 1) / M;
  static constexpr int tiles_per_sample = tiles_y * tiles_x;
  static_assert(P.out_h == P.in_h + 2 * P.pad - 2 && P.out_w == P.in_w + 2 * P.pad - 2,
                "winograd: the output size must be that of a 3x3 stride-1 correlation");
  static_assert(P.pad >= 0 && P.out_h > 0 && P.out_w > 0, "winograd: empty problem");

  // The GEMM of the forward pass: O x tiles, reduced over C, one tap.
  static constexpr gemm::TileShape op = gemm::choose_op(O, 1 << 12, W, simd::registers);
  static constexpr int MR = op.mr, NV = op.n, NR = NV * W;
  static constexpr int panels = gemm::ceil_div(O, MR);
  static constexpr std::array<int, 1> one_tap{0};
  // The GEMM of backward-weight: O x C, reduced over tiles.
  static constexpr gemm::TileShape ip = gemm::choose_ip(O, C, simd::registers);
  static constexpr int MRW = ip.mr, NRW = ip.n;
  static constexpr int wpanels = gemm::ceil_div(O, MRW), wblocks = gemm::ceil_div(C, NRW);

  /// Tiles per chunk: the transformed input and output (or dy) of a chunk stay within about
  /// 8 MB, a whole number of GEMM column tiles.
  static constexpr std::size_t budget = std::size_t(2) << 20;  // floats
  static constexpr int chunk_tiles = [] {
    const std::size_t per_tile = std::size_t(A2) * (C + O);
    const std::size_t t = std::clamp<std::size_t>(budget / per_tile, NR, 1 << 16);
    return int(t / NR * NR);
  }();
  /// Distance between the tile rows of V: whole GEMM tiles, and an odd number of cache lines
  /// so that walking the channels does not keep hitting the same L1 sets.
  static constexpr std::size_t row_stride = [] {
    const std::size_t r = simd::round_up(std::size_t(chunk_tiles), std::size_t(NR));
    const std::size_t c = simd::round_up(r, 16);
    return (c / 16) % 2 ? c : c + 16;
  }();
  /// Panels of output channels per forward work item: the item's transformed-output scratch
  /// (alpha^2 x PG x MR x NR floats) stays within about 48 KB.
  static constexpr int PG = std::clamp(12 * 1024 / (A2 * MR * NR), 1, panels);
  static constexpr int pgroups = gemm::ceil_div(panels, PG);

  /// y = correlation(x, g) + bias over n samples, g(o, c, ky, kx) the 3x3 filters; bias may be
  /// null. Overwrites y.
  template <class Filter>
  void forward(Filter&& g, const float* x, const float* bias, float* y, std::size_t n) {
    transform_filters(g);
    const std::size_t total = n * tiles_per_sample;
    float* v = v_.reserve(std::size_t(A2) * C * row_stride);
    tile_info_.resize(std::size_t(chunk_tiles));
    for (std::size_t t0 = 0; t0 < total; t0 += chunk_tiles) {
      const int tc = int(std::min<std::size_t>(chunk_tiles, total - t0));
      describe_tiles(t0, tc);
      transform_input(x, v, tc);
      multiply_and_store(v, bias, y, tc);
    }
  }

  /// dw[o][c][ky][kx] += gradient of forward w.r.t. g, given x and dy.
  void backward_weight(const float* x, const float* dy, float* dw, std::size_t n) {
    const std::size_t total = n * tiles_per_sample;
    float* v = v_.reserve(std::size_t(A2) * C * row_stride);
    float* z = z_.reserve(std::size_t(A2) * O * row_stride);
    float* du = du_.reserve(std::size_t(A2) * O * C);
    std::fill(du, du + std::size_t(A2) * O * C, 0.0f);
    tile_info_.resize(std::size_t(chunk_tiles));
    for (std::size_t t0 = 0; t0 < total; t0 += chunk_tiles) {
      const int tc = int(std::min<std::size_t>(chunk_tiles, total - t0));
      describe_tiles(t0, tc);
      transform_input(x, v, tc);
      transform_output_gradient(dy, z, tc);
      reduce_tiles(z, v, du, tc);
    }
    filter_gradient(du, dw);
  }

 private:
  /// U, packed for op_tile: per xi, panels of MR output channels, C entries of MR values.
  template <class Filter>
  void transform_filters(Filter& g) {
    float* u = u_.reserve(std::size_t(A2) * panels * MR * C);
    parallel_items(std::size_t(panels), [&](std::size_t p) {
      for (int i = 0; i < MR; ++i) {
        const int o = int(p) * MR + i;
        for (int c = 0; c < C; ++c) {
          double gu[alpha][alpha] = {};
          if (o < O) {
            double gg[3][3], tmp[alpha][3];
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx)
                gg[ky][kx] = double(g(o, c, ky, kx));
            for (int a = 0; a < alpha; ++a)
              for (int kx = 0; kx < 3; ++kx)
                tmp[a][kx] =
                    T::g[a][0] * gg[0][kx] + T::g[a][1] * gg[1][kx] + T::g[a][2] * gg[2][kx];
            for (int a = 0; a < alpha; ++a)
              for (int b = 0; b < alpha; ++b)
                gu[a][b] = tmp[a][0] * T::g[b][0] + tmp[a][1] * T::g[b][1] + tmp[a][2] * T::g[b][2];
          }
          for (int xi = 0; xi < A2; ++xi)
            u[((std::size_t(xi) * panels + p) * C + c) * MR + i] =
                float(gu[xi / alpha][xi % alpha]);
        }
      }
    });
  }

  /// Tile t0 + k of the batch for k < tc.
  void describe_tiles(std::size_t t0, int tc) {
    for (int k = 0; k < tc; ++k) {
      const std::size_t t = t0 + std::size_t(k);
      const int s = int(t / tiles_per_sample), r = int(t % tiles_per_sample);
      const int oy = (r / tiles_x) * M, ox = (r % tiles_x) * M;
      const int iy = oy - P.pad, ix = ox - P.pad;
      tile_info_[std::size_t(k)] = {
          s, oy, ox, iy >= 0 && ix >= 0 && iy + alpha <= P.in_h && ix + alpha <= P.in_w};
    }
  }

  /// V[xi][c][k] for the chunk's tiles; lanes past tc are zero.
  void transform_input(const float* x, float* v, int tc) {
    const int groups = gemm::ceil_div(tc, W);
    const int padded = int(simd::round_up(std::size_t(tc), std::size_t(NR)));
    constexpr int GB = 8;  // lane groups per work item
    const int blocks = gemm::ceil_div(groups, GB);
    parallel_items(std::size_t(C) * blocks, [&](std::size_t item) {
      const int c = int(item / blocks), b = int(item % blocks);
      alignas(64) float patch[A2 * W];
      for (int grp = b * GB; grp < std::min(groups, (b + 1) * GB); ++grp) {
        const int k0 = grp * W;
        for (int l = 0; l < W; ++l) {
          const int k = k0 + l;
          if (k >= tc) {
            for (int e = 0; e < A2; ++e)
              patch[e * W + l] = 0.0f;
            continue;
          }
          const auto& ti = tile_info_[std::size_t(k)];
          const float* xc =
              x + std::size_t(ti.sample) * P.in_size() + std::size_t(c) * P.in_h * P.in_w;
          const int iy = ti.oy - P.pad, ix = ti.ox - P.pad;
          if (ti.interior) {
            const float* src = xc + std::ptrdiff_t(iy) * P.in_w + ix;
            for (int r = 0; r < alpha; ++r)
              for (int j = 0; j < alpha; ++j)
                patch[(r * alpha + j) * W + l] = src[r * P.in_w + j];
          } else {
            for (int r = 0; r < alpha; ++r)
              for (int j = 0; j < alpha; ++j) {
                const int yy = iy + r, xx = ix + j;
                patch[(r * alpha + j) * W + l] = yy >= 0 && yy < P.in_h && xx >= 0 && xx < P.in_w
                                                     ? xc[std::ptrdiff_t(yy) * P.in_w + xx]
                                                     : 0.0f;
              }
          }
        }
        // B^T d B: columns first, then rows.
        simd::vec d[A2], t[A2];
        for (int e = 0; e < A2; ++e)
          d[e] = simd::load(patch + e * W);
#pragma GCC unroll 8
        for (int j = 0; j < alpha; ++j)
          detail::apply(T::bt, d + j, alpha, t + j, alpha);
#pragma GCC unroll 8
        for (int i = 0; i < alpha; ++i)
          detail::apply(T::bt, t + i * alpha, 1, d + i * alpha, 1);
        for (int e = 0; e < A2; ++e)
          simd::store(v + (std::size_t(e) * C + c) * row_stride + k0, d[e]);
      }
      // Zero the columns between the last group and the GEMM's last column tile.
      if (b == blocks - 1)
        for (int e = 0; e < A2; ++e)
          std::fill(v + (std::size_t(e) * C + c) * row_stride + groups * W,
                    v + (std::size_t(e) * C + c) * row_stride + padded, 0.0f);
    });
  }

  /// Mx = U V per xi, then y = A^T Mx A (+ bias) into the output tiles.
  void multiply_and_store(const float* v, const float* bias, float* y, int tc) {
    const float* u = u_.data();
    const int qtiles = gemm::ceil_div(tc, NR);
    parallel_items(std::size_t(qtiles) * pgroups, [&](std::size_t item) {
      const int q = int(item / pgroups), pg = int(item % pgroups);
      const int p0 = pg * PG, p1 = std::min(panels, p0 + PG);
      alignas(64) float mx[A2 * PG * MR * NR];
      for (int xi = 0; xi < A2; ++xi) {
        const float* vb = v + std::size_t(xi) * C * row_stride + std::size_t(q) * NR;
        for (int p = p0; p < p1; ++p)
          gemm::op_tile<MR, NV, one_tap>(u + (std::size_t(xi) * panels + p) * C * MR, vb,
                                         std::ptrdiff_t(row_stride), C,
                                         mx + (std::size_t(p - p0) * A2 + xi) * MR * NR, NR);
      }
      for (int p = p0; p < p1; ++p)
        for (int i = 0; i < MR && p * MR + i < O; ++i) {
          const int o = p * MR + i;
          const float b = bias ? bias[o] : 0.0f;
          for (int nv = 0; nv < NV; ++nv) {
            const int k0 = q * NR + nv * W;
            if (k0 >= tc) break;
            const float* src = mx + std::size_t(p - p0) * A2 * MR * NR + i * NR + nv * W;
            simd::vec e[A2], t[M * alpha];
            for (int xi = 0; xi < A2; ++xi)
              e[xi] = simd::load(src + std::size_t(xi) * MR * NR);
#pragma GCC unroll 8
            for (int j = 0; j < alpha; ++j)
              detail::apply(T::at, e + j, alpha, t + j, alpha);
            alignas(64) float out[M * M * W];
#pragma GCC unroll 8
            for (int a = 0; a < M; ++a) {
              simd::vec r[M];
              detail::apply(T::at, t + a * alpha, 1, r, 1);
              for (int bb = 0; bb < M; ++bb)
                simd::store(out + (a * M + bb) * W, r[bb] + simd::vec(b));
            }
            for (int l = 0; l < W && k0 + l < tc; ++l) {
              const auto& ti = tile_info_[std::size_t(k0 + l)];
              float* yt = y + std::size_t(ti.sample) * P.out_size() +
                          (std::size_t(o) * P.out_h + ti.oy) * P.out_w + ti.ox;
              const int rows = std::min(M, P.out_h - ti.oy), cols = std::min(M, P.out_w - ti.ox);
              for (int a = 0; a < rows; ++a)
                for (int bb = 0; bb < cols; ++bb)
                  yt[a * P.out_w + bb] = out[(a * M + bb) * W + l];
            }
          }
        }
    });
  }

  /// Z[xi][o][k] = (A dY A^T)[xi] for the chunk's tiles (dY zero outside the output); lanes
  /// past tc are zero.
  void transform_output_gradient(const float* dy, float* z, int tc) {
    const int groups = gemm::ceil_div(tc, W);
    const int padded = int(simd::round_up(std::size_t(tc), std::size_t(NR)));
    constexpr int GB = 8;
    const int blocks = gemm::ceil_div(groups, GB);
    parallel_items(std::size_t(O) * blocks, [&](std::size_t item) {
      const int o = int(item / blocks), b = int(item % blocks);
      alignas(64) float patch[M * M * W];
      for (int grp = b * GB; grp < std::min(groups, (b + 1) * GB); ++grp) {
        const int k0 = grp * W;
        for (int l = 0; l < W; ++l) {
          const int k = k0 + l;
          int rows = 0, cols = 0;
          const float* src = nullptr;
          if (k < tc) {
            const auto& ti = tile_info_[std::size_t(k)];
            src = dy + std::size_t(ti.sample) * P.out_size() +
                  (std::size_t(o) * P.out_h + ti.oy) * P.out_w + ti.ox;
            rows = std::min(M, P.out_h - ti.oy);
            cols = std::min(M, P.out_w - ti.ox);
          }
          for (int a = 0; a < M; ++a)
            for (int bb = 0; bb < M; ++bb)
              patch[(a * M + bb) * W + l] = a < rows && bb < cols ? src[a * P.out_w + bb] : 0.0f;
        }
        // A dY A^T: columns then rows, with A = (A^T)^T.
        simd::vec d[M * M], t[alpha * M], zz[A2];
        for (int e = 0; e < M * M; ++e)
          d[e] = simd::load(patch + e * W);
#pragma GCC unroll 8
        for (int j = 0; j < M; ++j)
          detail::apply_transposed(T::at, d + j, M, t + j, M);
#pragma GCC unroll 8
        for (int i = 0; i < alpha; ++i)
          detail::apply_transposed(T::at, t + i * M, 1, zz + i * alpha, 1);
        for (int e = 0; e < A2; ++e)
          simd::store(z + (std::size_t(e) * O + o) * row_stride + k0, zz[e]);
      }
      if (b == blocks - 1)
        for (int e = 0; e < A2; ++e)
          std::fill(z + (std::size_t(e) * O + o) * row_stride + groups * W,
                    z + (std::size_t(e) * O + o) * row_stride + padded, 0.0f);
    });
  }

  /// du[xi][o][c] += sum over the chunk's tiles of Z[xi][o][k] V[xi][c][k]. Each (xi, o
  /// panel, c block) is one item; chunks add in order.
  void reduce_tiles(const float* z, const float* v, float* du, int tc) {
    const int nvec = int(simd::round_up(std::size_t(tc), std::size_t(NR))) / W;
    parallel_items(std::size_t(A2) * wpanels * wblocks, [&](std::size_t item) {
      const int xi = int(item / (wpanels * wblocks));
      const int rest = int(item % (wpanels * wblocks));
      const int o0 = (rest / wblocks) * MRW, c0 = (rest % wblocks) * NRW;
      const float* ar[MRW];
      const float* br[NRW];
      for (int i = 0; i < MRW; ++i)
        ar[i] = z + (std::size_t(xi) * O + std::size_t(std::min(o0 + i, O - 1))) * row_stride;
      for (int j = 0; j < NRW; ++j)
        br[j] = v + (std::size_t(xi) * C + std::size_t(std::min(c0 + j, C - 1))) * row_stride;
      simd::vec acc[MRW * NRW];
      for (auto& a : acc)
        a = simd::vec(0.0f);
      gemm::ip_tile<MRW, NRW>(ar, br, nvec, acc);
      for (int i = 0; i < MRW && o0 + i < O; ++i)
        for (int j = 0; j < NRW && c0 + j < C; ++j)
          du[(std::size_t(xi) * O + o0 + i) * C + c0 + j] += simd::hsum(acc[i * NRW + j]);
    });
  }

  /// dw[o][c] += G^T dU[o][c] G.
  void filter_gradient(const float* du, float* dw) {
    parallel_items(std::size_t(O), [&](std::size_t o) {
      for (int c = 0; c < C; ++c) {
        double tmp[3][alpha];
        for (int ky = 0; ky < 3; ++ky)
          for (int b = 0; b < alpha; ++b) {
            double s = 0;
            for (int a = 0; a < alpha; ++a)
              s += T::g[a][ky] * double(du[(std::size_t(a * alpha + b) * O + o) * C + c]);
            tmp[ky][b] = s;
          }
        float* d = dw + (o * C + std::size_t(c)) * 9;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            double s = 0;
            for (int b = 0; b < alpha; ++b)
              s += tmp[ky][b] * T::g[b][kx];
            d[ky * 3 + kx] += float(s);
          }
      }
    });
  }

  simd::Buffer u_, v_, z_, du_;
  std::vector<detail::TileInfo> tile_info_;
};

}  // namespace ctnn::kernels::winograd
