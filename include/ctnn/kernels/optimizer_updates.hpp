#pragma once
/// \file
/// Optimizer update kernels: one step of SGD and of Adam for one tensor, with PyTorch 1.13's
/// update rules. Each rule is written once and run by kernels::for_each_element (SIMD and
/// parallel for float, a plain loop otherwise).

#include <cstddef>

#include "ctnn/kernels/map.hpp"

// GCC 12 reports its own AVX-512 intrinsics (the _mm512_undefined_* they start from) as
// "maybe uninitialized" once xsimd's sqrt is inlined at -O3: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace ctnn::kernels {

/// One SGD step for one tensor, as torch.optim.SGD (1.13) computes it: d = g + wd p; with
/// momentum, buf = d on the first step and m buf + (1 - dampening) d after it, and d = buf (or
/// d + m buf with Nesterov); p -= lr d. `buf` may be null when momentum is 0.
/// Runs on scalars (in parallel pieces): in vector code the compiler fuses other multiply-adds
/// of the momentum rule, which would round an element differently in the vector body than in
/// the tail; on scalars every element is rounded alike (and as ctnn 0.1 rounded it). The
/// update is memory-bound either way.
template <class T>
void sgd_update(T* p, const T* g, T* buf, std::size_t count, T lr, T momentum, T dampening,
                T weight_decay, bool nesterov, bool first_step) {
  for_each_element<T, Lanewise::scalar>(count, [&](auto lanes, std::size_t i) {
    using V = typename decltype(lanes)::type;
    const V pi = simd::load_as<V>(p + i);
    V d = simd::load_as<V>(g + i);
    if (weight_decay != T(0)) d = d + V(weight_decay) * pi;
    if (momentum != T(0)) {
      const V b =
          first_step ? d : V(momentum) * simd::load_as<V>(buf + i) + V(T(1) - dampening) * d;
      simd::store(buf + i, b);
      d = nesterov ? d + V(momentum) * b : b;
    }
    simd::store(p + i, pi - V(lr) * d);
  });
}

/// One Adam step for one tensor, as torch.optim.Adam (1.13, amsgrad off) computes it:
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, std::size_t count, T lr, T beta1, T beta2, T eps,
                 T weight_decay, T bias_correction1, T bias_correction2_sqrt) {
  const T step_size = lr / bias_correction1;
  for_each_element<T>(count, [&](auto lanes, std::size_t i) {
    using V = typename decltype(lanes)::type;
    const V pi = simd::load_as<V>(p + i);
    V gi = simd::load_as<V>(g + i);
    if (weight_decay != T(0)) gi = gi + V(weight_decay) * pi;
    const V mi = V(beta1) * simd::load_as<V>(m + i) + V(T(1) - beta1) * gi;
    const V vi = V(beta2) * simd::load_as<V>(v + i) + V(T(1) - beta2) * gi * gi;
    simd::store(m + i, mi);
    simd::store(v + i, vi);
    simd::store(p + i,
                pi - V(step_size) * mi / (simd::vsqrt(vi) / V(bias_correction2_sqrt) + V(eps)));
  });
}

}  // namespace ctnn::kernels

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
