#pragma once
/// \file
/// Element-wise and data-movement kernels: bias, activations, nearest upsampling, channel
/// concatenation, the MSE loss and the optimizer updates.
///
/// For float the large ones run SIMD (xsimd) and in parallel over fixed-size pieces; the
/// pieces do not depend on the thread count, and reductions (bias gradient) are owned by one
/// item each and summed in a fixed order, so results are the same for any thread count.
/// Other scalar types run the plain loops.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/simd.hpp"

// GCC 12 reports its own AVX-512 intrinsics (the _mm512_undefined_* they start from) as
// "maybe uninitialized" once xsimd's exp and sqrt are inlined at -O3: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace ctnn::kernels {

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

/// y[n, c, :] += b[c] for n samples of C channels of `plane` values.
template <class T>
void add_bias(T* y, const T* b, std::size_t n, std::size_t channels, std::size_t plane) {
  if constexpr (std::is_same_v<T, float>) {
    parallel_items(n * channels, [&](std::size_t item) {
      float* p = y + item * plane;
      const simd::vec bv(b[item % channels]);
      std::size_t j = 0;
      for (; j + simd::width <= plane; j += simd::width)
        simd::store(p + j, simd::load(p + j) + bv);
      for (; j < plane; ++j)
        p[j] += b[item % channels];
    });
    return;
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < channels; ++c) {
      T* p = y + (i * channels + c) * plane;
      const T bc = b[c];
      for (std::size_t j = 0; j < plane; ++j)
        p[j] += bc;
    }
}

/// db[c] += sum over samples and positions of dy[n, c, :].
template <class T>
void bias_backward(const T* dy, T* db, std::size_t n, std::size_t channels, std::size_t plane) {
  if constexpr (std::is_same_v<T, float>) {
    // One item per channel, samples in order: the sum does not depend on the thread count.
    parallel_items(channels, [&](std::size_t c) {
      simd::vec acc(0.0f);
      float tail = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const float* p = dy + (i * channels + c) * plane;
        std::size_t j = 0;
        for (; j + simd::width <= plane; j += simd::width)
          acc = acc + simd::load(p + j);
        for (; j < plane; ++j)
          tail += p[j];
      }
      db[c] += simd::hsum(acc) + tail;
    });
    return;
  }
  for (std::size_t c = 0; c < channels; ++c) {
    T acc = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const T* p = dy + (i * channels + c) * plane;
      for (std::size_t j = 0; j < plane; ++j)
        acc += p[j];
    }
    db[c] += acc;
  }
}

template <class T>
void relu_forward(const T* x, T* y, std::size_t count) {
  if constexpr (std::is_same_v<T, float>) {
    detail::for_pieces(count, [&](std::size_t b, std::size_t e) {
      std::size_t i = b;
      const simd::vec zero(0.0f);
      for (; i + simd::width <= e; i += simd::width) {
        const simd::vec v = simd::load(x + i);
        simd::store(y + i, simd::select(v > zero, v, zero));
      }
      for (; i < e; ++i)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    });
    return;
  }
  for (std::size_t i = 0; i < count; ++i)
    y[i] = x[i] > T(0) ? x[i] : T(0);
}

/// dx = dy where x > 0, else 0 (PyTorch's convention at x == 0: gradient 0).
template <class T>
void relu_backward(const T* x, const T* dy, T* dx, std::size_t count) {
  if constexpr (std::is_same_v<T, float>) {
    detail::for_pieces(count, [&](std::size_t b, std::size_t e) {
      std::size_t i = b;
      const simd::vec zero(0.0f);
      for (; i + simd::width <= e; i += simd::width)
        simd::store(dx + i, simd::select(simd::load(x + i) > zero, simd::load(dy + i), zero));
      for (; i < e; ++i)
        dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
    });
    return;
  }
  for (std::size_t i = 0; i < count; ++i)
    dx[i] = x[i] > T(0) ? dy[i] : T(0);
}

/// Numerically stable logistic: never evaluates exp of a large positive number.
template <class T>
void sigmoid_forward(const T* x, T* y, std::size_t count) {
  if constexpr (std::is_same_v<T, float>) {
    detail::for_pieces(count, [&](std::size_t b, std::size_t e) {
      std::size_t i = b;
      const simd::vec one(1.0f);
      for (; i + simd::width <= e; i += simd::width) {
        // exp(-|v|) never overflows; 1/(1+e) for v >= 0, e/(1+e) otherwise.
        const simd::vec v = simd::load(x + i);
        const simd::vec ex = simd::vexp(-simd::vabs(v));
        const simd::vec r = one / (one + ex);
        simd::store(y + i, simd::select(v >= simd::vec(0.0f), r, ex * r));
      }
      for (; i < e; ++i) {
        const float v = x[i];
        const float ex = std::exp(-std::abs(v));
        y[i] = v >= 0.0f ? 1.0f / (1.0f + ex) : ex / (1.0f + ex);
      }
    });
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    const T v = x[i];
    if (v >= T(0)) {
      y[i] = T(1) / (T(1) + std::exp(-v));
    } else {
      const T e = std::exp(v);
      y[i] = e / (T(1) + e);
    }
  }
}

/// dx = dy * y * (1 - y), from the forward output y.
template <class T>
void sigmoid_backward(const T* y, const T* dy, T* dx, std::size_t count) {
  if constexpr (std::is_same_v<T, float>) {
    detail::for_pieces(count, [&](std::size_t b, std::size_t e) {
      std::size_t i = b;
      const simd::vec one(1.0f);
      for (; i + simd::width <= e; i += simd::width) {
        const simd::vec yv = simd::load(y + i);
        simd::store(dx + i, simd::load(dy + i) * yv * (one - yv));
      }
      for (; i < e; ++i)
        dx[i] = dy[i] * y[i] * (1.0f - y[i]);
    });
    return;
  }
  for (std::size_t i = 0; i < count; ++i)
    dx[i] = dy[i] * y[i] * (T(1) - y[i]);
}

/// Nearest-neighbour upsampling by an integer factor: y[c, oy, ox] = x[c, oy/S, ox/S].
template <int Scale, class T>
void upsample_nearest_forward(const T* x, T* y, std::size_t planes, std::size_t h, std::size_t w) {
  const std::size_t wo = w * Scale;
  parallel_items(planes, [&](std::size_t p) {
    const T* xp = x + p * h * w;
    T* yp = y + p * h * w * Scale * Scale;
    for (std::size_t iy = 0; iy < h; ++iy) {
      T* row = yp + iy * Scale * wo;
      for (std::size_t ix = 0; ix < w; ++ix)
        for (int s = 0; s < Scale; ++s)
          row[ix * Scale + s] = xp[iy * w + ix];
      for (int s = 1; s < Scale; ++s)
        std::copy(row, row + wo, row + s * wo);
    }
  });
}

/// dx[c, iy, ix] = sum of dy over the Scale x Scale block it was copied to. Overwrites dx.
template <int Scale, class T>
void upsample_nearest_backward(const T* dy, T* dx, std::size_t planes, std::size_t h,
                               std::size_t w) {
  const std::size_t wo = w * Scale;
  parallel_items(planes, [&](std::size_t p) {
    const T* dyp = dy + p * h * w * Scale * Scale;
    T* dxp = dx + p * h * w;
    for (std::size_t iy = 0; iy < h; ++iy)
      for (std::size_t ix = 0; ix < w; ++ix) {
        T acc = 0;
        for (int sy = 0; sy < Scale; ++sy)
          for (int sx = 0; sx < Scale; ++sx)
            acc += dyp[(iy * Scale + sy) * wo + ix * Scale + sx];
        dxp[iy * w + ix] = acc;
      }
  });
}

/// Per sample, copies `a_size` values from a, then `b_size` values from b, into out.
template <class T>
void concat_samples(const T* a, std::size_t a_size, const T* b, std::size_t b_size, T* out,
                    std::size_t n) {
  parallel_items(n, [&](std::size_t i) {
    T* o = out + i * (a_size + b_size);
    std::copy(a + i * a_size, a + (i + 1) * a_size, o);
    std::copy(b + i * b_size, b + (i + 1) * b_size, o + a_size);
  });
}

/// The inverse of concat_samples: the first `a_size` values of each sample go to a.
template <class T>
void split_samples(const T* in, T* a, std::size_t a_size, T* b, std::size_t b_size, std::size_t n) {
  parallel_items(n, [&](std::size_t i) {
    const T* s = in + i * (a_size + b_size);
    std::copy(s, s + a_size, a + i * a_size);
    std::copy(s + a_size, s + a_size + b_size, b + i * b_size);
  });
}

/// out[i] += in[i].
template <class T>
void add_inplace(T* out, const T* in, std::size_t count) {
  if constexpr (std::is_same_v<T, float>) {
    detail::for_pieces(count, [&](std::size_t b, std::size_t e) {
      std::size_t i = b;
      for (; i + simd::width <= e; i += simd::width)
        simd::store(out + i, simd::load(out + i) + simd::load(in + i));
      for (; i < e; ++i)
        out[i] += in[i];
    });
    return;
  }
  for (std::size_t i = 0; i < count; ++i)
    out[i] += in[i];
}

/// mean((y - t)^2), accumulated in double so the loss of a large batch stays exact.
template <class T>
double mse_forward(const T* y, const T* t, std::size_t count) {
  double acc = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double d = double(y[i]) - double(t[i]);
    acc += d * d;
  }
  return count ? acc / double(count) : 0.0;
}

/// dy = scale * 2 (y - t) / count.
template <class T>
void mse_backward(const T* y, const T* t, T* dy, std::size_t count, T scale) {
  const T k = scale * T(2) / T(count);
  for (std::size_t i = 0; i < count; ++i)
    dy[i] = k * (y[i] - t[i]);
}

/// One SGD step for one tensor, as torch.optim.SGD (1.13) computes it.
template <class T>
void sgd_update(T* p, const T* g, T* buf, std::size_t count, T lr, T momentum, T dampening,
                T weight_decay, bool nesterov, bool first_step) {
  for (std::size_t i = 0; i < count; ++i) {
    T d = g[i];
    if (weight_decay != T(0)) d += weight_decay * p[i];
    if (momentum != T(0)) {
      buf[i] = first_step ? d : momentum * buf[i] + (T(1) - dampening) * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

/// One Adam step for one tensor, as torch.optim.Adam (1.13, amsgrad off) computes it:
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, std::size_t count, T lr, T beta1, T beta2, T eps,
                 T weight_decay, T bias_correction1, T bias_correction2_sqrt) {
  const T step_size = lr / bias_correction1;
  if constexpr (std::is_same_v<T, float>) {
    detail::for_pieces(count, [&](std::size_t b, std::size_t e) {
      using simd::vec;
      const vec b1(beta1), b2(beta2), c1(1.0f - beta1), c2(1.0f - beta2), wd(weight_decay),
          bc2(bias_correction2_sqrt), ep(eps), ss(step_size);
      std::size_t i = b;
      for (; i + simd::width <= e; i += simd::width) {
        vec gi = simd::load(g + i);
        const vec pi = simd::load(p + i);
        if (weight_decay != 0.0f) gi = gi + wd * pi;
        const vec mi = b1 * simd::load(m + i) + c1 * gi;
        const vec vi = b2 * simd::load(v + i) + c2 * gi * gi;
        simd::store(m + i, mi);
        simd::store(v + i, vi);
        simd::store(p + i, pi - ss * mi / (simd::vsqrt(vi) / bc2 + ep));
      }
      for (; i < e; ++i) {
        float gi = g[i];
        if (weight_decay != 0.0f) gi += weight_decay * p[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
        v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        p[i] -= step_size * m[i] / (std::sqrt(v[i]) / bias_correction2_sqrt + eps);
      }
    });
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    T gi = g[i];
    if (weight_decay != T(0)) gi += weight_decay * p[i];
    m[i] = beta1 * m[i] + (T(1) - beta1) * gi;
    v[i] = beta2 * v[i] + (T(1) - beta2) * gi * gi;
    const T denom = std::sqrt(v[i]) / bias_correction2_sqrt + eps;
    p[i] -= step_size * m[i] / denom;
  }
}

}  // namespace ctnn::kernels

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
