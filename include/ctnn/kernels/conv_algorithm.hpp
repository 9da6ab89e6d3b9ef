#pragma once
/// \file
/// Which algorithm a conv pass runs: direct convolution (fast_conv.hpp) or Winograd
/// (winograd.hpp). The throughput model below decides per geometry and pass, at compile time;
/// `set_conv_algorithm(ConvAlgorithm::direct)` turns Winograd off at run time, so that one
/// program can compare the two (benchmarks/bench_models --conv=direct).

#include <algorithm>
#include <atomic>

#include "ctnn/kernels/conv_geometry.hpp"
#include "ctnn/kernels/gemm.hpp"
#include "ctnn/kernels/simd.hpp"

namespace ctnn {

/// The conv algorithms the float kernels may run.
enum class ConvAlgorithm {
  automatic,  ///< Winograd where the throughput model expects it to be faster, else direct.
  direct,     ///< Direct convolution everywhere.
};

namespace kernels::detail {
inline std::atomic<ConvAlgorithm>& conv_algorithm_setting() {
  static std::atomic<ConvAlgorithm> setting{ConvAlgorithm::automatic};
  return setting;
}
}  // namespace kernels::detail

/// Sets the algorithm every float conv pass of the process uses from its next call on. Results
/// differ between the algorithms by float rounding (docs/performance.md states the bound); for
/// a given algorithm they do not depend on the thread count.
inline void set_conv_algorithm(ConvAlgorithm a) {
  kernels::detail::conv_algorithm_setting().store(a, std::memory_order_relaxed);
}

/// The algorithm set by set_conv_algorithm (automatic unless set).
inline ConvAlgorithm conv_algorithm() {
  return kernels::detail::conv_algorithm_setting().load(std::memory_order_relaxed);
}

namespace kernels {

/// The three passes of a conv geometry.
enum class ConvPass { forward, backward_data, backward_weight };

/// The throughput model's verdict for one pass: whether Winograd applies, its tile size, and
/// the modelled cost of each algorithm (multiply-adds at the micro-kernels' modelled
/// efficiency, plus the transforms; per sample).
struct ConvPlan {
  bool winograd = false;
  int tile = 0;
  double direct_cost = 0;
  double winograd_cost = 0;
};

namespace detail {

/// Transform cost per tile, channel and transformed element, in multiply-add equivalents,
/// measured on a 2-core Zen 3 (AVX2; docs/performance.md, "Winograd"): a gather, the
/// transform's share and the stores. Backward-weight's transforms write rows far apart and
/// cost about four times as much.
inline constexpr double transform_cost = 33;
inline constexpr double weight_transform_cost = 140;

/// Modelled cost of Winograd F(m x m, 3 x 3) for a stride-1 correlation of c channels into o
/// channels of h x w outputs.
constexpr double winograd_cost(int m, int c, int o, int h, int w, bool weight) {
  const int alpha2 = (m + 2) * (m + 2);
  const double tiles = double(gemm::ceil_div(h, m)) * gemm::ceil_div(w, m);
  const double gemm_cost =
      weight ? double(alpha2) * c * o * tiles / gemm::ip_efficiency(o, c, simd::registers)
             : double(alpha2) * c * o * tiles /
                   gemm::op_efficiency(o, 1 << 12, simd::width, simd::registers);
  const double per = weight ? weight_transform_cost : transform_cost;
  return gemm_cost + per * alpha2 * tiles * (c + o);
}

}  // namespace detail

/// The model's plan for one pass of geometry g. Winograd applies to 3x3, stride-1,
/// dilation-1 convolutions (and their backward-data when the padding is at most 2); it is
/// planned when its modelled cost is below the direct kernel's, with the cheaper of
/// F(2x2, 3x3) and F(4x4, 3x3), or with the given tile size (2 or 4).
constexpr ConvPlan plan_conv(ConvGeometry g, ConvPass pass, int tile = 0) {
  ConvPlan plan;
  const bool shape = g.kernel == 3 && g.stride == 1 && g.dilation == 1 &&
                     g.out_h == g.in_h + 2 * g.padding - 2 && g.out_w == g.in_w + 2 * g.padding - 2;
  if (!shape || (pass == ConvPass::backward_data && g.padding > 2)) return plan;
  const int span = 2;
  // Direct: flat implicit GEMM with pitch = output width + span (fast_conv.hpp).
  int c = g.in_channels, o = g.out_channels, h = g.out_h, w = g.out_w;
  if (pass == ConvPass::backward_data) {
    c = g.out_channels;
    o = g.in_channels;
    h = g.in_h;
    w = g.in_w;
  }
  const double macs = double(o) * c * 9 * h * (w + span);
  if (pass == ConvPass::backward_weight)
    plan.direct_cost = macs / gemm::ip_efficiency(o, c * 9, simd::registers);
  else
    plan.direct_cost = macs / gemm::op_efficiency(o, h * (w + span), simd::width, simd::registers);
  const bool wt = pass == ConvPass::backward_weight;
  const double c2 = detail::winograd_cost(2, c, o, h, w, wt);
  const double c4 = detail::winograd_cost(4, c, o, h, w, wt);
  plan.tile = tile ? tile : (c4 <= c2 ? 4 : 2);
  plan.winograd_cost = plan.tile == 4 ? c4 : c2;
  plan.winograd = plan.winograd_cost < plan.direct_cost;
  return plan;
}

}  // namespace kernels
}  // namespace ctnn
