#pragma once
/// \file
/// The precision the conv kernels multiply in: fp32, or bf16 operands with fp32 accumulation
/// (mixed precision) on CPUs with AVX512_BF16. A process-wide run-time setting, like the conv
/// algorithm (conv_algorithm.hpp), so that one program can compare the two. Only the conv
/// multiplications change: activations, gradients, master weights and optimizer state stay
/// fp32. The CPU is asked at run time, so a binary that contains the bf16 kernels still runs,
/// in fp32, on a CPU without them.

#include <atomic>

namespace ctnn {

/// What the float conv kernels multiply in.
enum class Precision {
  fp32,  ///< fp32 operands (the default).
  bf16,  ///< bf16 operands, fp32 accumulation, where the CPU has AVX512_BF16; else fp32.
};

namespace kernels::bf16 {

/// Whether this build contains the bf16 kernels: an x86-64 GCC or Clang (any -march: the
/// kernels carry their own target attribute).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
inline constexpr bool compiled = true;
#else
inline constexpr bool compiled = false;
#endif

namespace detail {
inline bool ask_cpu() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}
/// The CPU's answer, or a test's stand-in for a CPU without bf16 (hide_from_kernels).
inline std::atomic<bool>& hidden() {
  static std::atomic<bool> h{false};
  return h;
}
}  // namespace detail

/// Whether this CPU runs the bf16 kernels (asked once).
inline bool cpu_supported() {
  static const bool yes = compiled && detail::ask_cpu();
  return yes && !detail::hidden().load(std::memory_order_relaxed);
}

/// Tests only: makes cpu_supported() answer false, as on a CPU without AVX512_BF16.
inline void hide_from_kernels(bool hide) {
  detail::hidden().store(hide, std::memory_order_relaxed);
}

inline std::atomic<Precision>& precision_setting() {
  static std::atomic<Precision> setting{Precision::fp32};
  return setting;
}

}  // namespace kernels::bf16

/// Sets the precision every float conv pass of the process multiplies in from its next call
/// on. Precision::bf16 takes effect only where bf16_supported(); elsewhere the kernels stay
/// fp32 (conv_runs_bf16() tells which).
inline void set_conv_precision(Precision p) {
  kernels::bf16::precision_setting().store(p, std::memory_order_relaxed);
}

/// The precision set by set_conv_precision (fp32 unless set).
inline Precision conv_precision() {
  return kernels::bf16::precision_setting().load(std::memory_order_relaxed);
}

/// Whether this CPU (and build) can run the bf16 kernels: AVX512_BF16, asked at run time.
inline bool bf16_supported() {
  return kernels::bf16::cpu_supported();
}

/// Whether the float conv kernels multiply in bf16 now: bf16 asked for and supported.
inline bool conv_runs_bf16() {
  return conv_precision() == Precision::bf16 && bf16_supported();
}

}  // namespace ctnn
