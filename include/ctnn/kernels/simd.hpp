#pragma once
/// \file
/// The one place that picks the SIMD vector the fast kernels use: xsimd's widest batch<float>
/// for the consumer's compile flags (AVX-512 with -mavx512f, AVX2, SSE2...), or a one-lane
/// scalar stand-in when xsimd has no architecture or CTNN_KERNELS_SCALAR is defined.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

#include <xsimd/xsimd.hpp>

namespace ctnn::kernels::simd {

/// A one-lane "vector" with the subset of xsimd::batch's interface the kernels use.
struct ScalarVec {
  float v = 0;
  ScalarVec() = default;
  ScalarVec(float x) : v(x) {}
  static constexpr std::size_t size = 1;
  static ScalarVec load_unaligned(const float* p) { return ScalarVec(*p); }
  void store_unaligned(float* p) const { *p = v; }
  friend ScalarVec operator+(ScalarVec a, ScalarVec b) { return a.v + b.v; }
  friend ScalarVec operator-(ScalarVec a, ScalarVec b) { return a.v - b.v; }
  friend ScalarVec operator*(ScalarVec a, ScalarVec b) { return a.v * b.v; }
  friend ScalarVec operator/(ScalarVec a, ScalarVec b) { return a.v / b.v; }
  friend ScalarVec operator-(ScalarVec a) { return -a.v; }
  friend bool operator>(ScalarVec a, ScalarVec b) { return a.v > b.v; }
  friend bool operator>=(ScalarVec a, ScalarVec b) { return a.v >= b.v; }
};

#if defined(CTNN_KERNELS_SCALAR) || (!XSIMD_WITH_SSE2 && !XSIMD_WITH_NEON)
using vec = ScalarVec;
inline constexpr bool enabled = false;
inline constexpr int registers = 16;
inline vec fma(vec a, vec b, vec c) {
  return a.v * b.v + c.v;
}
inline float hsum(vec a) {
  return a.v;
}
inline vec vmax(vec a, vec b) {
  return a.v > b.v ? a : b;
}
inline vec vsqrt(vec a) {
  return std::sqrt(a.v);
}
inline vec vabs(vec a) {
  return std::abs(a.v);
}
inline vec vexp(vec a) {
  return std::exp(a.v);
}
inline vec select(bool c, vec a, vec b) {
  return c ? a : b;
}
#else
using vec = xsimd::batch<float>;
inline constexpr bool enabled = true;
/// Architectural vector registers: how large a register tile the micro-kernels may use.
inline constexpr int registers = XSIMD_WITH_AVX512F ? 32 : (XSIMD_WITH_NEON ? 32 : 16);
inline vec fma(vec a, vec b, vec c) {
  return xsimd::fma(a, b, c);
}
inline float hsum(vec a) {
  return xsimd::hadd(a);
}
inline vec vmax(vec a, vec b) {
  return xsimd::max(a, b);
}
inline vec vsqrt(vec a) {
  return xsimd::sqrt(a);
}
inline vec vabs(vec a) {
  return xsimd::abs(a);
}
inline vec vexp(vec a) {
  return xsimd::exp(a);
}
template <class Mask>
inline vec select(const Mask& c, vec a, vec b) {
  return xsimd::select(c, a, b);
}
#endif

/// Floats per vector.
inline constexpr int width = int(vec::size);

inline vec load(const float* p) {
  return vec::load_unaligned(p);
}

/// v[l] = base[index[l]] for every lane l; index holds `width` offsets.
#if defined(CTNN_KERNELS_SCALAR) || (!XSIMD_WITH_SSE2 && !XSIMD_WITH_NEON)
inline vec gather(const float* base, const std::int32_t* index) {
  return vec(base[index[0]]);
}
#else
// xsimd 8.1's batch<float>::gather never reaches its AVX2 overload (it inserts lane by lane),
// so the gather instructions are called directly where the CPU has them.
inline vec gather(const float* base, const std::int32_t* index) {
#if XSIMD_WITH_AVX512F
  // The masked form: GCC 12 warns about the unmasked one's undefined source (bug 105593).
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), __mmask16(0xffff), _mm512_loadu_si512(index),
                                  base, 4);
#elif XSIMD_WITH_AVX2
  return _mm256_i32gather_ps(base, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(index)), 4);
#else
  return vec::gather(base, xsimd::batch<std::int32_t>::load_unaligned(index));
#endif
}
#endif
inline void store(float* p, vec v) {
  v.store_unaligned(p);
}

/// Pins a loaded value in a register. GCC otherwise folds one load into every FMA that uses
/// it, turning a micro-kernel's one load per row into one per FMA (load-port bound).
#if !defined(CTNN_KERNELS_SCALAR) && (XSIMD_WITH_SSE2 || XSIMD_WITH_NEON) && defined(__GNUC__) && \
    (defined(__x86_64__) || defined(__i386__))
inline __attribute__((always_inline)) void keep_in_register(vec& v) {
  typename vec::register_type r = v;
  asm("" : "+v"(r));
  v = r;
}
#else
inline void keep_in_register(vec&) {}
#endif

constexpr std::size_t round_up(std::size_t v, std::size_t m) {
  return (v + m - 1) / m * m;
}

/// A growable, 64-byte aligned float buffer: grows on demand, never shrinks, so a workspace
/// reaches its size on the first call and is reused after that.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  ~Buffer() { release(); }

  /// At least `count` floats; contents are unspecified after growing.
  float* reserve(std::size_t count) {
    if (count > n_) {
      release();
      const std::size_t cap = round_up(count, 16);
      p_ = static_cast<float*>(::operator new (cap * sizeof(float), std::align_val_t{64}));
      n_ = cap;
    }
    return p_;
  }
  float* data() const { return p_; }
  std::size_t capacity() const { return n_; }

 private:
  void release() {
    if (p_) ::operator delete (p_, std::align_val_t{64});
    p_ = nullptr;
    n_ = 0;
  }
  float* p_ = nullptr;
  std::size_t n_ = 0;
};

}  // namespace ctnn::kernels::simd
