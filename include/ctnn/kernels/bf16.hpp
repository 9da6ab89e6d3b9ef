#pragma once
/// \file
/// bf16 building blocks for the mixed-precision conv (bf16_conv.hpp): fp32 -> bf16 rounding,
/// the operand layouts, and the two micro-kernels of gemm.hpp rewritten around VDPBF16PS,
/// which multiplies pairs of bf16 values and adds both products to an fp32 lane:
///   acc[l] += a[2l] * b[2l] + a[2l + 1] * b[2l + 1].
/// A product of two bf16 values is exact in fp32, so the only roundings are the operands'
/// (to bf16, nearest even) and the fp32 additions.
///
/// - `op_tile`: the outer-product tile of gemm::op_tile with k taken in pairs: B holds, for
///   each column, the values of two consecutive channels side by side (32 bits), and A's
///   pair for the same two channels is broadcast to every lane.
/// - `ip_tile`: the inner-product tile of gemm::ip_tile over rows of plain bf16 values, 32
///   per vector; the pairs run along the rows.
///
/// Every function with intrinsics carries CTNN_BF16_TARGET, so the kernels build whatever the
/// -march; they run only where bf16::cpu_supported() (precision.hpp).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ctnn/kernels/precision.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
// A function attribute cannot be a constexpr: this macro is the one way to give every bf16
// kernel the instruction sets it needs without raising the whole program's -march.
#define CTNN_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
#endif

namespace ctnn::kernels::bf16 {

/// Lanes of fp32 accumulators in one vector, and bf16 values in one vector.
inline constexpr int lanes = 16;
inline constexpr int values = 32;

/// fp32 -> bf16 as VCVTNEPS2BF16 rounds: to nearest, ties to even; a NaN stays a (quiet)
/// NaN; a denormal input becomes a zero of its sign (the instruction treats denormals as
/// zero).
constexpr std::uint16_t round_bits(std::uint32_t u) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return std::uint16_t((u >> 16) | 0x0040u);  // NaN
  if ((u & 0x7f800000u) == 0) return std::uint16_t((u >> 16) & 0x8000u);           // 0, denormal
  return std::uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
inline std::uint16_t round(float x) {
  return round_bits(std::bit_cast<std::uint32_t>(x));
}
/// bf16 -> fp32 (exact).
inline float widen(std::uint16_t h) {
  return std::bit_cast<float>(std::uint32_t(h) << 16);
}
/// x rounded to bf16 and back: the value the bf16 kernels multiply.
inline float rounded(float x) {
  return widen(round(x));
}
/// Two values as one 32-bit pair: lo in the low half (the lower k).
inline std::uint32_t pair(float lo, float hi) {
  return std::uint32_t(round(lo)) | (std::uint32_t(round(hi)) << 16);
}

#ifdef CTNN_BF16_TARGET

/// Up to 16 pairs (the lanes in m) of pack_pairs.
CTNN_BF16_TARGET inline void pack_pairs_masked(const float* lo, const float* hi, std::uint32_t* dst,
                                               __mmask16 m) {
  const __m512 l = _mm512_maskz_loadu_ps(m, lo);
  const __m512 h = hi ? _mm512_maskz_loadu_ps(m, hi) : _mm512_setzero_ps();
  // The maskz forms: GCC 12 warns about the unmasked ones' undefined source (its bug 105593).
  const __mmask16 all = 0xffff;
  const __m512i lw = _mm512_maskz_cvtepu16_epi32(all, (__m256i)_mm512_cvtneps_pbh(l));
  const __m512i hw = _mm512_maskz_cvtepu16_epi32(all, (__m256i)_mm512_cvtneps_pbh(h));
  _mm512_mask_storeu_epi32(dst, m, _mm512_or_si512(lw, _mm512_maskz_slli_epi32(all, hw, 16)));
}

/// dst[i] = pair(lo[i], hi[i]) for i < n; hi may be null (zeros: an odd channel count's
/// last pair).
CTNN_BF16_TARGET inline void pack_pairs(const float* lo, const float* hi, std::uint32_t* dst,
                                        std::size_t n) {
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes)
    pack_pairs_masked(lo + i, hi ? hi + i : nullptr, dst + i, __mmask16(0xffff));
  if (i < n)
    pack_pairs_masked(lo + i, hi ? hi + i : nullptr, dst + i, __mmask16((1u << (n - i)) - 1));
}

/// dst[i] = round(src[i]) for i < n.
CTNN_BF16_TARGET inline void convert(const float* src, std::uint16_t* dst, std::size_t n) {
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i),
                        (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + i)));
  if (i < n) {
    const __mmask16 m = __mmask16((1u << (n - i)) - 1);
    _mm256_mask_storeu_epi16(dst + i, m,
                             (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i)));
  }
}

/// Pins a vector in a register (as simd::keep_in_register): GCC would otherwise fold one load
/// into every VDPBF16PS that uses it.
CTNN_BF16_TARGET inline __attribute__((always_inline)) void keep(__m512i& v) {
  asm("" : "+v"(v));
}

/// c[i * ldc + j] = sum over channel pairs p < npairs and taps t of the pair products
///   a[(p * Taps.size() + t) * MR + i] . b[p * pstride + Taps[t] + j],  j < NV * 16,
/// where each element of a and b is a pair of bf16 values (pair()). `a` is one packed panel
/// of A; `b` points at the tile's first column of the pair planes.
template <int MR, int NV, auto Taps>
CTNN_BF16_TARGET inline void op_tile(const std::uint32_t* __restrict a,
                                     const std::uint32_t* __restrict b, std::ptrdiff_t pstride,
                                     int npairs, float* __restrict c, int ldc) {
  constexpr int KK = int(Taps.size());
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j)
      acc[i][j] = _mm512_setzero_ps();
  for (int p = 0; p < npairs; ++p, b += pstride, a += KK * MR) {
#pragma GCC unroll 49
    for (int t = 0; t < KK; ++t) {
      __m512i bv[NV];
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) {
        bv[j] = _mm512_loadu_si512(b + Taps[t] + j * lanes);
        keep(bv[j]);
      }
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const __m512i av = _mm512_set1_epi32(int(a[t * MR + i]));
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j)
          acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)av, (__m512bh)bv[j]);
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j)
      _mm512_storeu_ps(c + i * ldc + j * lanes, acc[i][j]);
}

/// acc[(i * NR + j) * 16 + l] += lane l of the dot products of ar[i][q + s * ar_step] and
/// br[j][q + s * br_step] over q < nvec * 32 (bf16 rows) and samples s < nsamples. The
/// accumulators stay in registers over all the samples (one call per weight tile and chunk
/// of samples) and live in memory between calls.
template <int MR, int NR>
CTNN_BF16_TARGET inline void ip_tile(const std::uint16_t* const* ar_in, std::ptrdiff_t ar_step,
                                     const std::uint16_t* const* br_in, std::ptrdiff_t br_step,
                                     int nsamples, int nvec, float* __restrict acc_mem) {
  const std::uint16_t* ar[MR];
  const std::uint16_t* br[NR];
  __m512 acc[MR][NR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    ar[i] = ar_in[i];
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j)
      acc[i][j] = _mm512_loadu_ps(acc_mem + (i * NR + j) * lanes);
  }
#pragma GCC unroll 16
  for (int j = 0; j < NR; ++j)
    br[j] = br_in[j];
  for (int s = 0; s < nsamples; ++s) {
    for (int v = 0; v < nvec; ++v) {
      const std::ptrdiff_t q = std::ptrdiff_t(v) * values;
      __m512i bv[NR];
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) {
        bv[j] = _mm512_loadu_si512(br[j] + q);
        keep(bv[j]);
      }
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        __m512i av = _mm512_loadu_si512(ar[i] + q);
        keep(av);
#pragma GCC unroll 16
        for (int j = 0; j < NR; ++j)
          acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)av, (__m512bh)bv[j]);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
      ar[i] += ar_step;
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j)
      br[j] += br_step;
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j)
      _mm512_storeu_ps(acc_mem + (i * NR + j) * lanes, acc[i][j]);
}

#endif  // CTNN_BF16_TARGET

/// The sum of one accumulator's 16 lanes (in memory), in a fixed order.
inline float hsum(const float* acc) {
  float s[8];
  for (int l = 0; l < 8; ++l)
    s[l] = acc[l] + acc[l + 8];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

}  // namespace ctnn::kernels::bf16
