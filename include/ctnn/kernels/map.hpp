#pragma once
/// \file
/// The one loop every element-wise kernel runs: vector-wide steps, then a scalar tail, over
/// parallel pieces. A kernel writes its operation once, as a generic lambda that takes its
/// operands as `V`, and gets it run on `simd::vec` (float, SIMD on), on `float` for the tail and
/// on any other scalar type (`double` for gradient checks) as a plain loop.
///
/// The pieces have a fixed size, so which element lands in a vector or in the tail does not
/// depend on the thread count: results are the same for any number of threads.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <type_traits>

#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/simd.hpp"

namespace ctnn::kernels {

/// The operand type a map body runs on this time: `simd::vec` or a scalar.
template <class V>
struct Lanes {
  using type = V;
};

namespace simd {
/// \name Scalar twins of the vector functions, so one generic body serves vectors and scalars.
///@{
template <std::floating_point S>
S vsqrt(S a) {
  return std::sqrt(a);
}
template <std::floating_point S>
S vabs(S a) {
  return std::abs(a);
}
template <std::floating_point S>
S vexp(S a) {
  return std::exp(a);
}
template <std::floating_point S>
S select(bool c, S a, S b) {
  return c ? a : b;
}
///@}

/// `V` values from p: one vector, or one scalar.
template <class V, class S>
V load_as(const S* p) {
  if constexpr (std::is_same_v<V, S>)
    return *p;
  else
    return load(p);
}
template <std::floating_point S>
void store(S* p, S v) {
  *p = v;
}
}  // namespace simd

namespace detail {
/// Elements per parallel item of a streaming element-wise op: large enough to amortise
/// scheduling, small enough to split a batch of activations.
inline constexpr std::size_t ew_grain = 32768;

/// Calls f(begin, end) over [0, count) in pieces of ew_grain, in parallel.
template <class F>
void for_pieces(std::size_t count, F&& f) {
  const std::size_t pieces = (count + ew_grain - 1) / ew_grain;
  parallel_items(pieces,
                 [&](std::size_t i) { f(i * ew_grain, std::min(count, (i + 1) * ew_grain)); });
}
}  // namespace detail

/// Whether a loop runs vector-wide steps (the default) or scalars only.
enum class Lanewise { vector, scalar };

/// Calls body(Lanes<V>{}, i) over [begin, end), serially: for float with SIMD on, vector-wide
/// steps with V = simd::vec, then the tail with V = float; for other T (or Lanewise::scalar),
/// every element with V = T.
template <class T, Lanewise Mode = Lanewise::vector, class Body>
void simd_loop(std::size_t begin, std::size_t end, Body&& body) {
  std::size_t i = begin;
  if constexpr (std::is_same_v<T, float> && Mode == Lanewise::vector)
    for (; i + simd::width <= end; i += simd::width)
      body(Lanes<simd::vec>{}, i);
  for (; i < end; ++i)
    body(Lanes<T>{}, i);
}

/// f(item) for item in [0, count): in parallel for float; in order for other T (double runs
/// the oracle and the gradient checks, where plain loops are the point).
template <class T, class F>
void for_each_item(std::size_t count, F&& f) {
  if constexpr (std::is_same_v<T, float>)
    parallel_items(count, f);
  else
    for (std::size_t i = 0; i < count; ++i)
      f(i);
}

/// simd_loop over [0, count): in parallel pieces for float, as one plain loop for other T.
template <class T, Lanewise Mode = Lanewise::vector, class Body>
void for_each_element(std::size_t count, Body&& body) {
  if constexpr (std::is_same_v<T, float>)
    detail::for_pieces(count,
                       [&](std::size_t b, std::size_t e) { simd_loop<T, Mode>(b, e, body); });
  else
    simd_loop<T, Mode>(0, count, body);
}

/// out[i] = op(in[i]...) for i in [0, count). `op` is generic in its operand type; a constant
/// inside it is written V(value).
template <class T, class Op, class... In>
void map(T* out, std::size_t count, Op op, const In*... in) {
  for_each_element<T>(count, [&](auto lanes, std::size_t i) {
    using V = typename decltype(lanes)::type;
    simd::store(out + i, op(simd::load_as<V>(in + i)...));
  });
}

}  // namespace ctnn::kernels
