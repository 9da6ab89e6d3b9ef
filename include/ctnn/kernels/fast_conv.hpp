#pragma once
/// \file
/// The fast float conv behind ConvKernel<G, float>: each pass runs direct convolution (flat
/// implicit GEMM, flat_conv.hpp), Winograd (winograd.hpp) where the throughput model of
/// conv_algorithm.hpp plans it, or direct convolution with bf16 operands (bf16_conv.hpp) when
/// set_conv_precision(Precision::bf16) asks for it and the CPU has AVX512_BF16.
///
/// Work is split into fixed items that do not depend on the thread count, so results are
/// bit-identical for any number of threads. Workspaces grow on first use and are reused: no
/// allocation in steady state.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ctnn/kernels/bf16_conv.hpp"
#include "ctnn/kernels/conv_algorithm.hpp"
#include "ctnn/kernels/conv_geometry.hpp"
#include "ctnn/kernels/flat_conv.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/precision.hpp"
#include "ctnn/kernels/simd.hpp"
#include "ctnn/kernels/winograd.hpp"

namespace ctnn::kernels::fast {

/// The fast float implementation behind ConvKernel<G, float>: direct convolution, or Winograd
/// for the passes the throughput model of conv_algorithm.hpp plans it for (unless
/// set_conv_algorithm(ConvAlgorithm::direct)).
template <ConvGeometry G>
class FastConv {
  static constexpr int Cin = G.in_channels, Cout = G.out_channels, K = G.kernel, S = G.stride,
                       P = G.padding, D = G.dilation, Hi = G.in_h, Wi = G.in_w, Ho = G.out_h,
                       Wo = G.out_w;
  static constexpr int KK = K * K, Kdim = Cin * KK, span = D * (K - 1);
  static constexpr bool unit = S == 1;
  /// Backward-data as the forward of the full conv needs a non-negative padding.
  static constexpr bool flat_bwd = unit && P <= span;

  // Forward and backward-weight: flat over the padded input, or im2col columns as a 1x1 conv.
  static constexpr Flat F1 = unit ? Flat{Cin, K, D, Ho, Wo, Wo + span, Ho + span, Cout}
                                  : Flat{Kdim, 1, 1, Ho, Wo, Wo, Ho, Cout};
  // Backward-data: the full conv of dy (flat), or dcol = W^T dy as a 1x1 conv then col2im.
  static constexpr Flat F2 = flat_bwd ? Flat{Cout, K, D, Hi, Wi, Wi + span, Hi + span, Cin}
                                      : Flat{Cout, 1, 1, Ho, Wo, Wo, Ho, Kdim};
  using P1 = FlatConv<F1>;
  using P2 = FlatConv<F2>;

  /// Samples per pass through the workspaces: bounds their size for large batches (and, for
  /// backward-weight, what a pass reads: the padded input and dy).
  static constexpr std::size_t budget = std::size_t(2) << 20;  // floats (8 MB)
  static constexpr std::size_t chunk1 =
      std::clamp<std::size_t>(budget / (P1::in_stride + G.out_size()), 1, 16);
  static constexpr std::size_t col2_stride = std::size_t(Kdim) * Ho * Wo;
  static constexpr std::size_t chunk2 =
      std::clamp<std::size_t>(budget / (P2::in_stride + (flat_bwd ? 0 : col2_stride)), 1, 16);

 public:
  static constexpr ConvGeometry geometry = G;
  /// The throughput model's plan for each pass. Forward and backward-weight share one
  /// Winograd object (one tile size: the forward's when it runs Winograd).
  static constexpr ConvPlan forward_plan = plan_conv(G, ConvPass::forward);
  static constexpr ConvPlan backward_data_plan = plan_conv(G, ConvPass::backward_data);
  static constexpr ConvPlan backward_weight_plan = plan_conv(
      G, ConvPass::backward_weight,
      forward_plan.winograd ? forward_plan.tile : plan_conv(G, ConvPass::backward_weight).tile);

  /// Whether the pass runs Winograd now.
  static bool uses_winograd(ConvPass pass) {
    const ConvPlan& p = pass == ConvPass::forward         ? forward_plan
                        : pass == ConvPass::backward_data ? backward_data_plan
                                                          : backward_weight_plan;
    return p.winograd && conv_algorithm() != ConvAlgorithm::direct;
  }

  void forward(const float* x, const float* w, const float* b, float* y, std::size_t n) {
#ifdef CTNN_BF16_TARGET
    if (conv_runs_bf16()) return forward_bf16(x, w, b, y, n);
#endif
    if constexpr (forward_plan.winograd) {
      if (uses_winograd(ConvPass::forward)) {
        wino_forward_.forward(
            [w](int o, int c, int ky, int kx) {
              return w[((std::size_t(o) * Cin + c) * K + ky) * K + kx];
            },
            x, b, y, n);
        return;
      }
    }
    float* ap = apack_.reserve(P1::apack_size);
    P1::pack_a(forward_a(w), ap);
    const std::size_t nc = std::min(n, chunk1);
    float* in = in_.reserve(nc * P1::in_stride);
    for (std::size_t c0 = 0; c0 < n; c0 += nc) {
      const std::size_t cn = std::min(nc, n - c0);
      prepare_input(x + c0 * G.in_size(), in, cn);
      P1::forward(ap, in, b, y + c0 * G.out_size(), G.out_size(), cn);
    }
  }

  void backward_data(const float* dy, const float* w, float* dx, std::size_t n) {
#ifdef CTNN_BF16_TARGET
    if (conv_runs_bf16()) return backward_data_bf16(dy, w, dx, n);
#endif
    if constexpr (backward_data_plan.winograd) {
      if (uses_winograd(ConvPass::backward_data)) {
        // The full correlation of dy with the flipped, transposed filters.
        wino_backward_.forward(
            [w](int ci, int co, int ky, int kx) {
              return w[((std::size_t(co) * Cin + ci) * K + (K - 1 - ky)) * K + (K - 1 - kx)];
            },
            dy, nullptr, dx, n);
        return;
      }
    }
    float* ap = apack_.reserve(P2::apack_size);
    const std::size_t nc = std::min(n, chunk2);
    float* in = in_.reserve(nc * P2::in_stride);
    if constexpr (flat_bwd) {
      P2::pack_a(full_conv_a(w), ap);
      for (std::size_t c0 = 0; c0 < n; c0 += nc) {
        const std::size_t cn = std::min(nc, n - c0);
        const float* dys = dy + c0 * G.out_size();
        parallel_items(cn, [&](std::size_t s) {
          P2::pad_sample(dys + s * G.out_size(), Ho, Wo, span - P, span - P,
                         in + s * P2::in_stride);
        });
        P2::forward(ap, in, nullptr, dx + c0 * G.in_size(), G.in_size(), cn);
      }
    } else {
      // dcol(k, q) = sum_co w[co][k] dy[co][q], then scatter-add the columns into dx.
      P2::pack_a(transposed_a(w), ap);
      float* col = aux_.reserve(nc * col2_stride);
      for (std::size_t c0 = 0; c0 < n; c0 += nc) {
        const std::size_t cn = std::min(nc, n - c0);
        const float* dys = dy + c0 * G.out_size();
        parallel_items(cn, [&](std::size_t s) {
          P2::pad_sample(dys + s * G.out_size(), Ho, Wo, 0, 0, in + s * P2::in_stride);
        });
        P2::forward(ap, in, nullptr, col, col2_stride, cn);
        col2im(col, dx + c0 * G.in_size(), cn);
      }
    }
  }

  void backward_weight(const float* x, const float* dy, float* dw, std::size_t n) {
#ifdef CTNN_BF16_TARGET
    if (conv_runs_bf16()) return backward_weight_bf16(x, dy, dw, n);
#endif
    if constexpr (backward_weight_plan.winograd) {
      if (uses_winograd(ConvPass::backward_weight)) {
        wino_forward_.backward_weight(x, dy, dw, n);
        return;
      }
    }
    const std::size_t nc = std::min(n, chunk1);
    float* in = in_.reserve(nc * P1::in_stride);
    float* scratch = aux_.reserve(max_slots() * P1::weight_scratch);
    for (std::size_t c0 = 0; c0 < n; c0 += nc) {
      const std::size_t cn = std::min(nc, n - c0);
      prepare_input(x + c0 * G.in_size(), in, cn);
      P1::weight(dy + c0 * G.out_size(), in, dw, cn, scratch);
    }
  }

 private:
  // The A operands of the flat GEMMs, as functions a(m, k) of the weights (fp32 and bf16 pack
  // the same values).
  /// Forward: A(co, (ci, tap)) = w[co][ci][tap].
  static auto forward_a(const float* w) {
    return [w](int m, int k) { return w[std::size_t(m) * Kdim + k]; };
  }
  /// Backward-data as the full conv: A(ci, (co, tap)) = w[co][ci][flipped tap].
  static auto full_conv_a(const float* w) {
    return [w](int m, int k) {
      const int co = k / KK, t = k % KK;
      return w[(std::size_t(co) * Cin + m) * KK + (KK - 1 - t)];
    };
  }
  /// Backward-data through im2col columns: A((ci, tap), co) = w[co][(ci, tap)].
  static auto transposed_a(const float* w) {
    return [w](int m, int k) { return w[std::size_t(k) * Kdim + m]; };
  }

#ifdef CTNN_BF16_TARGET
  using B1 = FlatConvBf16<F1>;
  using B2 = FlatConvBf16<F2>;

  template <class T>
  static T* as(float* p) {
    static_assert(sizeof(T) <= sizeof(float) && alignof(T) <= alignof(float));
    return reinterpret_cast<T*>(p);
  }
  /// Floats that hold `count` values of T.
  template <class T>
  static constexpr std::size_t floats(std::size_t count) {
    return (count * sizeof(T) + sizeof(float) - 1) / sizeof(float);
  }

  void forward_bf16(const float* x, const float* w, const float* b, float* y, std::size_t n) {
    auto* ap = as<std::uint32_t>(apack_.reserve(floats<std::uint32_t>(B1::apack_size)));
    B1::pack_a(forward_a(w), ap);
    const std::size_t nc = std::min(n, chunk1);
    float* in = in_.reserve(nc * P1::in_stride);
    auto* pairs = as<std::uint32_t>(bf16_in_.reserve(floats<std::uint32_t>(nc * B1::pair_stride)));
    for (std::size_t c0 = 0; c0 < n; c0 += nc) {
      const std::size_t cn = std::min(nc, n - c0);
      prepare_input(x + c0 * G.in_size(), in, cn, [&](std::size_t s, const float* padded) {
        B1::to_pairs(padded, pairs + s * B1::pair_stride);
      });
      B1::forward(ap, pairs, b, y + c0 * G.out_size(), G.out_size(), cn);
    }
  }

  void backward_data_bf16(const float* dy, const float* w, float* dx, std::size_t n) {
    auto* ap = as<std::uint32_t>(apack_.reserve(floats<std::uint32_t>(B2::apack_size)));
    const std::size_t nc = std::min(n, chunk2);
    float* in = in_.reserve(nc * P2::in_stride);
    auto* pairs = as<std::uint32_t>(bf16_in_.reserve(floats<std::uint32_t>(nc * B2::pair_stride)));
    // The operands of the float path (backward_data), laid out as pairs.
    const auto pad_dy = [&](const float* dys, std::size_t cn, int border) {
      parallel_items(cn, [&](std::size_t s) {
        float* padded = in + s * P2::in_stride;
        P2::pad_sample(dys + s * G.out_size(), Ho, Wo, border, border, padded);
        B2::to_pairs(padded, pairs + s * B2::pair_stride);
      });
    };
    if constexpr (flat_bwd) {
      B2::pack_a(full_conv_a(w), ap);
      for (std::size_t c0 = 0; c0 < n; c0 += nc) {
        const std::size_t cn = std::min(nc, n - c0);
        pad_dy(dy + c0 * G.out_size(), cn, span - P);
        B2::forward(ap, pairs, nullptr, dx + c0 * G.in_size(), G.in_size(), cn);
      }
    } else {
      B2::pack_a(transposed_a(w), ap);
      float* col = aux_.reserve(nc * col2_stride);
      for (std::size_t c0 = 0; c0 < n; c0 += nc) {
        const std::size_t cn = std::min(nc, n - c0);
        pad_dy(dy + c0 * G.out_size(), cn, 0);
        B2::forward(ap, pairs, nullptr, col, col2_stride, cn);
        col2im(col, dx + c0 * G.in_size(), cn);
      }
    }
  }

  void backward_weight_bf16(const float* x, const float* dy, float* dw, std::size_t n) {
    const std::size_t nc = std::min(n, chunk1);
    float* in = in_.reserve(nc * P1::in_stride);
    auto* values =
        as<std::uint16_t>(bf16_in_.reserve(floats<std::uint16_t>(nc * B1::value_stride)));
    auto* scratch = as<std::uint16_t>(
        aux_.reserve(floats<std::uint16_t>(max_slots() * nc * B1::weight_scratch)));
    for (std::size_t c0 = 0; c0 < n; c0 += nc) {
      const std::size_t cn = std::min(nc, n - c0);
      prepare_input(x + c0 * G.in_size(), in, cn, [&](std::size_t s, const float* padded) {
        B1::to_values(padded, values + s * B1::value_stride);
      });
      B1::weight(dy + c0 * G.out_size(), values, dw, cn, scratch);
    }
  }
#endif

  /// The forward's B operand for n samples: padded planes (unit stride) or im2col columns;
  /// then(s, padded sample) runs in the same work item.
  struct NoThen {
    void operator()(std::size_t, const float*) const {}
  };
  template <class Then = NoThen>
  void prepare_input(const float* x, float* in, std::size_t n, Then then = {}) {
    parallel_items(n, [&](std::size_t s) {
      const float* xs = x + s * G.in_size();
      float* dst = in + s * P1::in_stride;
      if constexpr (unit) {
        P1::pad_sample(xs, Hi, Wi, P, P, dst);
      } else {
        for (int ci = 0; ci < Cin; ++ci)
          for (int ky = 0; ky < K; ++ky)
            for (int kx = 0; kx < K; ++kx) {
              float* crow = dst + std::size_t((ci * K + ky) * K + kx) * P1::cstride;
              for (int oy = 0; oy < Ho; ++oy) {
                const int iy = oy * S - P + ky * D;
                for (int ox = 0; ox < Wo; ++ox) {
                  const int ix = ox * S - P + kx * D;
                  crow[oy * Wo + ox] = (iy >= 0 && iy < Hi && ix >= 0 && ix < Wi)
                                           ? xs[(std::size_t(ci) * Hi + iy) * Wi + ix]
                                           : 0.0f;
                }
              }
              std::fill(crow + P1::plane, crow + P1::cstride, 0.0f);
            }
        std::fill(dst + Kdim * P1::cstride, dst + P1::in_stride, 0.0f);
      }
      then(s, dst);
    });
  }

  /// dx = col2im(col): each (sample, input channel) plane is owned by one item.
  static void col2im(const float* col, float* dx, std::size_t n) {
    parallel_items(n * Cin, [&](std::size_t item) {
      const std::size_t s = item / Cin;
      const int ci = int(item % Cin);
      float* dxc = dx + s * G.in_size() + std::size_t(ci) * Hi * Wi;
      std::fill(dxc, dxc + Hi * Wi, 0.0f);
      for (int ky = 0; ky < K; ++ky)
        for (int kx = 0; kx < K; ++kx) {
          const float* crow = col + s * col2_stride + std::size_t((ci * K + ky) * K + kx) * Ho * Wo;
          for (int oy = 0; oy < Ho; ++oy) {
            const int iy = oy * S - P + ky * D;
            if (iy < 0 || iy >= Hi) continue;
            for (int ox = 0; ox < Wo; ++ox) {
              const int ix = ox * S - P + kx * D;
              if (ix >= 0 && ix < Wi) dxc[iy * Wi + ix] += crow[oy * Wo + ox];
            }
          }
        }
    });
  }

  struct NoWinograd {};
  static constexpr winograd::Problem forward_problem{Cin, Cout, Hi, Wi, P, Ho, Wo};
  static constexpr winograd::Problem backward_problem{Cout, Cin, Ho, Wo, 2 - P, Hi, Wi};
  static constexpr bool wino1 = forward_plan.winograd || backward_weight_plan.winograd;
  using ForwardWinograd =
      std::conditional_t<wino1, winograd::WinogradConv<forward_problem, backward_weight_plan.tile>,
                         NoWinograd>;
  using BackwardWinograd =
      std::conditional_t<backward_data_plan.winograd,
                         winograd::WinogradConv<backward_problem, backward_data_plan.tile>,
                         NoWinograd>;

  simd::Buffer apack_, in_, aux_;
  simd::Buffer bf16_in_;  // the bf16 operands (pairs or plain values) of the padded input
  [[no_unique_address]] ForwardWinograd wino_forward_;
  [[no_unique_address]] BackwardWinograd wino_backward_;
};

}  // namespace ctnn::kernels::fast
