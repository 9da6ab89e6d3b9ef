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
  static constexpr float gf[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
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
  static constexpr float gf[6][3] = {{1.0f / 4, 0, 0},
                                     {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                     {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                     {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                     {1.0f / 24, -1.0f / 12, 1.0f / 6},
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

/// Where one tile of a chunk lives: its sample, its top-left output position, whether its
/// whole input patch lies inside the input (no zero padding to apply) and whether the whole
/// tile lies inside the output.
struct TileInfo {
  std::int32_t sample;
  std::int32_t oy, ox;
  bool interior;
  bool full;
};

// The transforms below are the heavy, fully unrolled code. They take the problem's sizes at
// run time and are templated on the tile size only, and not inlined: every conv geometry of a
// program shares one copy per tile size instead of compiling its own (in a test program with
// the U-Net at two sizes and DnCNN they were half the optimiser's time). A call covers a whole
// group of W tiles, so the call costs nothing measurable.

/// How to load a group of W tiles' patches: with one gather per patch element, at origin +
/// offset[lane], when all W tiles are there and pass `usable` (gather true); element by
/// element otherwise (and always without SIMD, or for samples too large for 32-bit offsets).
/// The same for every channel: computed once per group.
struct GroupGather {
  bool gather = false;
  std::ptrdiff_t origin = 0;
  alignas(64) std::int32_t offset[simd::width] = {};
};

template <class Usable>
GroupGather group_gather(const TileInfo* t, int avail, std::size_t sample_size, int width,
                         int shift, Usable usable) {
  constexpr int W = simd::width;
  GroupGather g;
  if (!simd::enabled || sample_size > (std::size_t(1) << 30) || avail < W) return g;
  auto at = [&](const TileInfo& ti) {
    return std::ptrdiff_t(ti.sample) * std::ptrdiff_t(sample_size) +
           std::ptrdiff_t(ti.oy - shift) * width + (ti.ox - shift);
  };
  g.origin = at(t[0]);
  for (int l = 0; l < W; ++l) {
    if (!usable(t[l])) return GroupGather{};
    g.offset[l] = std::int32_t(at(t[l]) - g.origin);
  }
  g.gather = true;
  return g;
}

/// input_group's GroupGather for the tiles t[0..avail).
inline GroupGather input_gather(const Problem& p, const TileInfo* t, int avail) {
  return group_gather(t, avail, p.in_size(), p.in_w, p.pad,
                      [](const TileInfo& ti) { return ti.interior; });
}
/// output_gradient_group's GroupGather for the tiles t[0..avail).
inline GroupGather output_gather(const Problem& p, const TileInfo* t, int avail) {
  return group_gather(t, avail, p.out_size(), p.out_w, 0,
                      [](const TileInfo& ti) { return ti.full; });
}

/// Transforms the patches of input channel xc (the channel's plane in sample 0) of the W tiles
/// t[0..W) (those past avail are zero) and stores value xi at dst + xi * xi_stride, one tile
/// per lane.
template <int M>
[[gnu::noinline]] void input_group(const Problem& p, const float* xc, const TileInfo* t, int avail,
                                   const GroupGather& g, float* dst, std::size_t xi_stride) {
  using T = Transform<M>;
  constexpr int W = simd::width, alpha = T::alpha, A2 = alpha * alpha;
  simd::vec d[A2], tmp[A2];
  if (g.gather) {
    const float* base = xc + g.origin;
#pragma GCC unroll 8
    for (int r = 0; r < alpha; ++r)
#pragma GCC unroll 8
      for (int j = 0; j < alpha; ++j)
        d[r * alpha + j] = simd::gather(base + r * p.in_w + j, g.offset);
  } else {
    alignas(64) float patch[A2 * W];
    for (int l = 0; l < W; ++l) {
      const bool here = l < avail;
      const int iy = here ? t[l].oy - p.pad : 0, ix = here ? t[l].ox - p.pad : 0;
      const float* xs = here ? xc + std::size_t(t[l].sample) * p.in_size() : xc;
      for (int r = 0; r < alpha; ++r)
        for (int j = 0; j < alpha; ++j) {
          const int yy = iy + r, xx = ix + j;
          patch[(r * alpha + j) * W + l] = here && yy >= 0 && yy < p.in_h && xx >= 0 && xx < p.in_w
                                               ? xs[std::ptrdiff_t(yy) * p.in_w + xx]
                                               : 0.0f;
        }
    }
    for (int e = 0; e < A2; ++e)
      d[e] = simd::load(patch + e * W);
  }
  // B^T d B: columns first, then rows.
#pragma GCC unroll 8
  for (int j = 0; j < alpha; ++j)
    apply(T::bt, d + j, alpha, tmp + j, alpha);
#pragma GCC unroll 8
  for (int i = 0; i < alpha; ++i)
    apply(T::bt, tmp + i * alpha, 1, d + i * alpha, 1);
  for (int e = 0; e < A2; ++e)
    simd::store(dst + e * xi_stride, d[e]);
}

/// y tiles of output channel o for the W tiles t[0..min(W, avail)): A^T Mx A + b, Mx value
/// xi at src + xi * xi_stride, one tile per lane.
template <int M>
[[gnu::noinline]] void output_group(const Problem& p, const float* src, std::size_t xi_stride,
                                    int o, float b, const TileInfo* t, int avail, float* y) {
  using T = Transform<M>;
  constexpr int W = simd::width, alpha = T::alpha, A2 = alpha * alpha;
  simd::vec e[A2], tmp[M * alpha];
  for (int xi = 0; xi < A2; ++xi)
    e[xi] = simd::load(src + xi * xi_stride);
#pragma GCC unroll 8
  for (int j = 0; j < alpha; ++j)
    apply(T::at, e + j, alpha, tmp + j, alpha);
  alignas(64) float out[M * M * W];
#pragma GCC unroll 8
  for (int a = 0; a < M; ++a) {
    simd::vec r[M];
    apply(T::at, tmp + a * alpha, 1, r, 1);
    for (int bb = 0; bb < M; ++bb)
      simd::store(out + (a * M + bb) * W, r[bb] + simd::vec(b));
  }
  for (int l = 0; l < std::min(W, avail); ++l) {
    const auto& ti = t[l];
    float* yt = y + std::size_t(ti.sample) * p.out_size() +
                (std::size_t(o) * p.out_h + ti.oy) * p.out_w + ti.ox;
    if (ti.full) {
#pragma GCC unroll 4
      for (int a = 0; a < M; ++a)
#pragma GCC unroll 4
        for (int bb = 0; bb < M; ++bb)
          yt[a * p.out_w + bb] = out[(a * M + bb) * W + l];
      continue;
    }
    const int rows = std::min(M, p.out_h - ti.oy), cols = std::min(M, p.out_w - ti.ox);
    for (int a = 0; a < rows; ++a)
      for (int bb = 0; bb < cols; ++bb)
        yt[a * p.out_w + bb] = out[(a * M + bb) * W + l];
  }
}

/// A dY A^T for output channel dyc (the channel's plane in sample 0) of the W tiles t[0..W)
/// (dY zero outside the output and past avail), value xi stored at dst + xi * xi_stride.
template <int M>
[[gnu::noinline]] void output_gradient_group(const Problem& p, const float* dyc, const TileInfo* t,
                                             int avail, const GroupGather& g, float* dst,
                                             std::size_t xi_stride) {
  using T = Transform<M>;
  constexpr int W = simd::width, alpha = T::alpha, A2 = alpha * alpha;
  simd::vec d[M * M], tmp[alpha * M], z[A2];
  if (g.gather) {
    const float* base = dyc + g.origin;
#pragma GCC unroll 4
    for (int a = 0; a < M; ++a)
#pragma GCC unroll 4
      for (int b = 0; b < M; ++b)
        d[a * M + b] = simd::gather(base + a * p.out_w + b, g.offset);
  } else {
    alignas(64) float patch[M * M * W];
    for (int l = 0; l < W; ++l) {
      const bool here = l < avail;
      const int rows = here ? std::min(M, p.out_h - t[l].oy) : 0;
      const int cols = here ? std::min(M, p.out_w - t[l].ox) : 0;
      const float* src = here ? dyc + std::size_t(t[l].sample) * p.out_size() +
                                    std::size_t(t[l].oy) * p.out_w + t[l].ox
                              : dyc;
      for (int a = 0; a < M; ++a)
        for (int b = 0; b < M; ++b)
          patch[(a * M + b) * W + l] = a < rows && b < cols ? src[a * p.out_w + b] : 0.0f;
    }
    for (int e = 0; e < M * M; ++e)
      d[e] = simd::load(patch + e * W);
  }
  // A dY A^T: columns then rows, with A = (A^T)^T.
#pragma GCC unroll 8
  for (int j = 0; j < M; ++j)
    apply_transposed(T::at, d + j, M, tmp + j, M);
#pragma GCC unroll 8
  for (int i = 0; i < alpha; ++i)
    apply_transposed(T::at, tmp + i * M, 1, z + i * alpha, 1);
  for (int e = 0; e < A2; ++e)
    simd::store(dst + e * xi_stride, z[e]);
}

/// G g G^T for W filters, one per lane: gg holds the 9 taps (W values each), out the alpha^2
/// transformed values (W each). In float: the transform's own rounding is part of the stated
/// error bound.
template <int M>
[[gnu::noinline]] void filter_transform(const float* gg, float* out) {
  using T = Transform<M>;
  constexpr int W = simd::width, alpha = T::alpha, A2 = alpha * alpha;
  simd::vec f[9], t[alpha * 3], r[A2];
  for (int k = 0; k < 9; ++k)
    f[k] = simd::load(gg + k * W);
#pragma GCC unroll 4
  for (int kx = 0; kx < 3; ++kx)
    apply(T::gf, f + kx, 3, t + kx, 3);
#pragma GCC unroll 8
  for (int a = 0; a < alpha; ++a)
    apply(T::gf, t + a * 3, 1, r + a * alpha, 1);
  for (int xi = 0; xi < A2; ++xi)
    simd::store(out + xi * W, r[xi]);
}

/// G^T dU G for W filters, one per lane: in holds the alpha^2 values of dU (W each), out the 9
/// taps (W each).
template <int M>
[[gnu::noinline]] void filter_gradient_transform(const float* in, float* out) {
  using T = Transform<M>;
  constexpr int W = simd::width, alpha = T::alpha, A2 = alpha * alpha;
  simd::vec e[A2], t[3 * alpha], r[9];
  for (int xi = 0; xi < A2; ++xi)
    e[xi] = simd::load(in + xi * W);
#pragma GCC unroll 8
  for (int b = 0; b < alpha; ++b)
    apply_transposed(T::gf, e + b, alpha, t + b, alpha);
#pragma GCC unroll 4
  for (int ky = 0; ky < 3; ++ky)
    apply_transposed(T::gf, t + ky * alpha, 1, r + ky * 3, 1);
  for (int k = 0; k < 9; ++k)
    simd::store(out + k * W, r[k]);
}

}  // namespace detail

/// Winograd F(M x M, 3 x 3) for one problem. Holds its workspaces: they grow on the first
/// call and are reused, so steady-state calls do not allocate. `WeightBudget` (floats) bounds
/// backward-weight's chunk of transformed input and dy; the tests set it small to run several
/// chunks on small shapes.
template <Problem P, int M, std::size_t WeightBudget = (std::size_t(2) << 20)>
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

  /// Backward-weight reduces over the tiles in chunks whose transformed input and dy take
  /// about 8 MB: long rows for its micro-kernel. Rows are whole GEMM tiles apart, and an odd
  /// number of cache lines so that walking the channels does not keep hitting the same L1
  /// sets.
  static constexpr int weight_chunk = [] {
    const std::size_t per_tile = std::size_t(A2) * (C + O);
    return int(std::clamp<std::size_t>(WeightBudget / per_tile, NR, 1 << 16) / NR * NR);
  }();
  static constexpr std::size_t row_stride = [] {
    const std::size_t c = simd::round_up(std::size_t(weight_chunk), 16);
    return (c / 16) % 2 ? c : c + 16;
  }();
  /// Floats of one forward work item's scratch: the transformed input and output of NR tiles.
  static constexpr std::size_t slot_size =
      simd::round_up(std::size_t(A2) * (C + panels * MR) * NR, 16);

  /// y = correlation(x, g) + bias over n samples, g(o, c, ky, kx) the 3x3 filters; bias may be
  /// null. Overwrites y.
  ///
  /// One work item per NR consecutive tiles does the whole pipeline (input transform, the
  /// alpha^2 GEMMs, output transform) in its own scratch, which stays in the core's L2 cache;
  /// only U is shared, read by every item.
  template <class Filter>
  void forward(Filter&& g, const float* x, const float* bias, float* y, std::size_t n) {
    transform_filters(g);
    const std::size_t total = n * tiles_per_sample;
    float* scratch = v_.reserve(max_slots() * slot_size);
    const float* u = u_.data();
    parallel_items_in_slots(
        gemm::ceil_div(int(total), NR), [&](std::size_t item, std::size_t slot) {
          detail::TileInfo tiles[NR];
          const int tc = int(std::min<std::size_t>(NR, total - item * NR));
          describe_tiles(item * NR, tc, tiles);
          float* vq = scratch + slot * slot_size;     // [xi][c][NR]
          float* mq = vq + std::size_t(A2) * C * NR;  // [xi][panels * MR][NR]
          detail::GroupGather gathers[NV];
          for (int gr = 0; gr < NV; ++gr)
            gathers[gr] = detail::input_gather(P, tiles + gr * W, tc - gr * W);
          for (int c = 0; c < C; ++c)
            for (int gr = 0; gr < NV; ++gr)
              detail::input_group<M>(P, x + std::size_t(c) * P.in_h * P.in_w, tiles + gr * W,
                                     tc - gr * W, gathers[gr], vq + std::size_t(c) * NR + gr * W,
                                     std::size_t(C) * NR);
          for (int xi = 0; xi < A2; ++xi)
            for (int p = 0; p < panels; ++p)
              gemm::op_tile<MR, NV, one_tap>(u + (std::size_t(xi) * panels + p) * C * MR,
                                             vq + std::size_t(xi) * C * NR, std::ptrdiff_t(NR), C,
                                             mq + (std::size_t(xi) * panels + p) * MR * NR, NR);
          for (int o = 0; o < O; ++o)
            for (int gr = 0; gr < NV && gr * W < tc; ++gr)
              detail::output_group<M>(P, mq + std::size_t(o) * NR + gr * W,
                                      std::size_t(panels) * MR * NR, o, bias ? bias[o] : 0.0f,
                                      tiles + gr * W, tc - gr * W, y);
        });
  }

  /// dw[o][c][ky][kx] += gradient of forward w.r.t. g, given x and dy.
  void backward_weight(const float* x, const float* dy, float* dw, std::size_t n) {
    const std::size_t total = n * tiles_per_sample;
    float* v = v_.reserve(std::size_t(A2) * C * row_stride);
    float* z = z_.reserve(std::size_t(A2) * O * row_stride);
    float* du = du_.reserve(std::size_t(A2) * O * C);
    std::fill(du, du + std::size_t(A2) * O * C, 0.0f);
    tile_info_.resize(std::size_t(weight_chunk));
    gather_in_.resize(std::size_t(weight_chunk / W + 1));
    gather_out_.resize(std::size_t(weight_chunk / W + 1));
    for (std::size_t t0 = 0; t0 < total; t0 += weight_chunk) {
      const int tc = int(std::min<std::size_t>(weight_chunk, total - t0));
      describe_tiles(t0, tc, tile_info_.data());
      const int groups = gemm::ceil_div(tc, W);
      for (int gr = 0; gr < groups; ++gr) {
        const detail::TileInfo* t = tile_info_.data() + gr * W;
        gather_in_[std::size_t(gr)] = detail::input_gather(P, t, tc - gr * W);
        gather_out_[std::size_t(gr)] = detail::output_gather(P, t, tc - gr * W);
      }
      const int padded = int(simd::round_up(std::size_t(tc), std::size_t(NR)));
      constexpr int GB = 8;  // lane groups per work item
      const int blocks = gemm::ceil_div(groups, GB);
      // V[xi][c][k] and Z[xi][o][k], rows row_stride apart, zero past tc up to padded.
      parallel_items(std::size_t(C + O) * blocks, [&](std::size_t item) {
        const int row = int(item / blocks), b = int(item % blocks);
        for (int gr = b * GB; gr < std::min(groups, (b + 1) * GB); ++gr) {
          const detail::TileInfo* t = tile_info_.data() + gr * W;
          if (row < C)
            detail::input_group<M>(P, x + std::size_t(row) * P.in_h * P.in_w, t, tc - gr * W,
                                   gather_in_[std::size_t(gr)],
                                   v + std::size_t(row) * row_stride + gr * W,
                                   std::size_t(C) * row_stride);
          else
            detail::output_gradient_group<M>(P, dy + std::size_t(row - C) * P.out_h * P.out_w, t,
                                             tc - gr * W, gather_out_[std::size_t(gr)],
                                             z + std::size_t(row - C) * row_stride + gr * W,
                                             std::size_t(O) * row_stride);
        }
        if (b == blocks - 1)
          for (int xi = 0; xi < A2; ++xi) {
            float* r = row < C ? v + (std::size_t(xi) * C + row) * row_stride
                               : z + (std::size_t(xi) * O + row - C) * row_stride;
            std::fill(r + groups * W, r + padded, 0.0f);
          }
      });
      reduce_tiles(z, v, du, tc);
    }
    filter_gradient(du, dw);
  }

 private:
  /// U, packed for op_tile: per xi, panels of MR output channels, C entries of MR values.
  template <class Filter>
  void transform_filters(Filter& g) {
    float* u = u_.reserve(std::size_t(A2) * panels * MR * C);
    constexpr int cblocks = gemm::ceil_div(C, W);
    // One item per panel and block of W input channels, one channel per lane: G g G^T.
    parallel_items(std::size_t(panels) * cblocks, [&](std::size_t item) {
      const int p = int(item / cblocks), c0 = int(item % cblocks) * W;
      const int lanes = std::min(W, C - c0);
      alignas(64) float gg[9 * W];
      alignas(64) float out[A2 * W];
      for (int i = 0; i < MR; ++i) {
        const int o = p * MR + i;
        for (int l = 0; l < W; ++l)
          for (int k = 0; k < 9; ++k)
            gg[k * W + l] = o < O && l < lanes ? float(g(o, c0 + l, k / 3, k % 3)) : 0.0f;
        detail::filter_transform<M>(gg, out);
        for (int xi = 0; xi < A2; ++xi) {
          float* dst = u + ((std::size_t(xi) * panels + p) * C + c0) * MR + i;
          for (int l = 0; l < lanes; ++l)
            dst[l * MR] = out[xi * W + l];
        }
      }
    });
  }

  /// Tiles t0 .. t0 + tc - 1 of the batch.
  static void describe_tiles(std::size_t t0, int tc, detail::TileInfo* out) {
    for (int k = 0; k < tc; ++k) {
      const std::size_t t = t0 + std::size_t(k);
      const int s = int(t / tiles_per_sample), r = int(t % tiles_per_sample);
      const int oy = (r / tiles_x) * M, ox = (r % tiles_x) * M;
      const int iy = oy - P.pad, ix = ox - P.pad;
      out[k] = {s, oy, ox, iy >= 0 && ix >= 0 && iy + alpha <= P.in_h && ix + alpha <= P.in_w,
                oy + M <= P.out_h && ox + M <= P.out_w};
    }
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
    constexpr int cblocks = gemm::ceil_div(C, W);
    // One input channel per lane: dU[.][o][c] is contiguous over c.
    parallel_items(std::size_t(O) * cblocks, [&](std::size_t item) {
      const int o = int(item / cblocks), c0 = int(item % cblocks) * W;
      const int lanes = std::min(W, C - c0);
      alignas(64) float in[A2 * W];
      for (int xi = 0; xi < A2; ++xi) {
        const float* src = du + (std::size_t(xi) * O + o) * C + c0;
        for (int l = 0; l < W; ++l)
          in[xi * W + l] = l < lanes ? src[l] : 0.0f;
      }
      alignas(64) float out[9 * W];
      detail::filter_gradient_transform<M>(in, out);
      for (int l = 0; l < lanes; ++l) {
        float* d = dw + (std::size_t(o) * C + c0 + l) * 9;
        for (int k = 0; k < 9; ++k)
          d[k] += out[k * W + l];
      }
    });
  }

  simd::Buffer u_, v_, z_, du_;
  std::vector<detail::TileInfo> tile_info_;
  std::vector<detail::GroupGather> gather_in_, gather_out_;
};

}  // namespace ctnn::kernels::winograd
