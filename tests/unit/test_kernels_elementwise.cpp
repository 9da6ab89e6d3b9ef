// The float (SIMD, parallel) element-wise and batch norm kernels against the plain loops run in
// double, on sizes that leave vector tails and span several parallel pieces.

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "ctnn/kernels/activations.hpp"
#include "ctnn/kernels/batch_norm.hpp"
#include "ctnn/kernels/loss.hpp"
#include "ctnn/kernels/optimizer_updates.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/tensor_ops.hpp"

namespace k = ctnn::kernels;

namespace {
std::vector<float> random_vec(std::size_t n, unsigned seed, float lo = -3, float hi = 3) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& e : v)
    e = u(rng);
  return v;
}
std::vector<double> to_double(const std::vector<float>& v) {
  return {v.begin(), v.end()};
}
double max_diff(const std::vector<float>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    d = std::max(d, std::isfinite(a[i]) ? std::abs(double(a[i]) - b[i]) : INFINITY);
  return d;
}
}  // namespace

TEST_CASE("element-wise float kernels match the plain loops", "[kernels][elementwise]") {
  for (std::size_t count : {std::size_t(1), std::size_t(17), std::size_t(100003)}) {
    INFO("count " << count);
    auto x = random_vec(count, 1), dy = random_vec(count, 2);
    x[0] = 0.0f;  // ReLU's gradient at exactly 0 is 0
    const auto xd = to_double(x), dyd = to_double(dy);
    std::vector<float> y(count);
    std::vector<double> yd(count);

    k::relu_forward(x.data(), y.data(), count);
    k::relu_forward(xd.data(), yd.data(), count);
    CHECK(max_diff(y, yd) == 0);
    k::relu_backward(x.data(), dy.data(), y.data(), count);
    k::relu_backward(xd.data(), dyd.data(), yd.data(), count);
    CHECK(max_diff(y, yd) == 0);

    auto big = random_vec(count, 3, -100, 100);  // exp must not overflow
    const auto bigd = to_double(big);
    k::sigmoid_forward(big.data(), y.data(), count);
    k::sigmoid_forward(bigd.data(), yd.data(), count);
    CHECK(max_diff(y, yd) < 1e-6);
    k::sigmoid_forward(x.data(), y.data(), count);
    k::sigmoid_forward(xd.data(), yd.data(), count);
    CHECK(max_diff(y, yd) < 1e-6);
    std::vector<float> dx(count);
    k::sigmoid_backward(y.data(), dy.data(), dx.data(), count);
    std::vector<double> dxd(count);
    k::sigmoid_backward(to_double(y).data(), dyd.data(), dxd.data(), count);
    CHECK(max_diff(dx, dxd) < 1e-6);

    std::vector<float> acc = x;
    std::vector<double> accd = xd;
    k::add_inplace(acc.data(), dy.data(), count);
    k::add_inplace(accd.data(), dyd.data(), count);
    CHECK(max_diff(acc, accd) < 1e-6);
  }
}

TEST_CASE("ReLU and LeakyReLU pass NaN and infinities on as PyTorch does",
          "[kernels][elementwise]") {
  // torch.relu(nan) is nan and its gradient passes through; a NaN turned into 0 would hide a
  // diverging network behind a finite loss.
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = INFINITY;
  for (std::size_t count : {std::size_t(6), std::size_t(37)}) {
    INFO("count " << count);
    std::vector<float> x(count, 1.0f), dy(count, 2.0f), y(count), dx(count);
    x[count - 5] = nan;
    x[count - 4] = inf;
    x[count - 3] = -inf;
    x[count - 2] = 0.0f;
    x[count - 1] = -1.0f;
    k::relu_forward(x.data(), y.data(), count);
    CHECK(std::isnan(y[count - 5]));
    CHECK(y[count - 4] == inf);
    CHECK(y[count - 3] == 0.0f);
    CHECK(y[count - 2] == 0.0f);
    CHECK(y[count - 1] == 0.0f);
    CHECK(y[0] == 1.0f);
    k::relu_backward(x.data(), dy.data(), dx.data(), count);
    CHECK(dx[count - 5] == 2.0f);
    CHECK(dx[count - 4] == 2.0f);
    CHECK(dx[count - 3] == 0.0f);
    CHECK(dx[count - 2] == 0.0f);
    CHECK(dx[count - 1] == 0.0f);
    k::leaky_relu_forward(x.data(), y.data(), count, 0.1f);
    CHECK(std::isnan(y[count - 5]));
    CHECK(y[count - 3] == -inf);
    CHECK(y[count - 1] == -0.1f);
  }
}

TEST_CASE("bias kernels match the plain loops", "[kernels][elementwise]") {
  const std::size_t n = 3, channels = 7, plane = 29 * 31;
  auto y = random_vec(n * channels * plane, 4);
  const auto b = random_vec(channels, 5);
  auto yd = to_double(y);
  k::add_bias(y.data(), b.data(), n, channels, plane);
  k::add_bias(yd.data(), to_double(b).data(), n, channels, plane);
  CHECK(max_diff(y, yd) < 1e-6);

  auto db = random_vec(channels, 6);
  auto dbd = to_double(db);
  k::bias_backward(y.data(), db.data(), n, channels, plane);
  k::bias_backward(to_double(y).data(), dbd.data(), n, channels, plane);
  // Float summation error, bounded as for any recursive sum: at most k u sum|terms|, with
  // u = 2^-24 and k the longest chain of float additions behind one result. The kernel sums
  // each vector lane over n * (plane / width) steps, the tails over n * (plane % width) steps,
  // then adds width lanes, the tail sum and db: k = n * (plane / width + plane % width) +
  // width + 2. (The chain, hence the error, depends on the SIMD width: AVX2 vs AVX-512.)
  const std::size_t width = std::size_t(ctnn::kernels::simd::width);
  const double chain = double(n * (plane / width + plane % width) + width + 2);
  for (std::size_t c = 0; c < channels; ++c) {
    double sum_abs = std::abs(double(random_vec(channels, 6)[c]));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < plane; ++j)
        sum_abs += std::abs(double(y[(i * channels + c) * plane + j]));
    INFO("channel " << c << ": float " << db[c] << ", double " << dbd[c]);
    CHECK(std::abs(double(db[c]) - dbd[c]) <= chain * 0x1p-24 * sum_abs);
  }
}

TEST_CASE("upsampling, concat and split match the plain loops", "[kernels][elementwise]") {
  const std::size_t planes = 5, h = 7, w = 9;
  const auto x = random_vec(planes * h * w, 7);
  std::vector<float> up(planes * h * w * 4);
  k::upsample_nearest_forward<2>(x.data(), up.data(), planes, h, w);
  CHECK(up[0] == x[0]);
  CHECK(up[1] == x[0]);
  CHECK(up[2 * w * 2 + 2] == x[w + 1]);  // row 2, col 2 -> x[1][1]
  std::vector<float> back(x.size());
  k::upsample_nearest_backward<2>(up.data(), back.data(), planes, h, w);
  std::vector<double> expect(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    expect[i] = 4.0 * x[i];
  CHECK(max_diff(back, expect) < 1e-5);

  const auto a = random_vec(2 * 6, 8), b = random_vec(2 * 4, 9);
  std::vector<float> cat(20), a2(12), b2(8);
  k::concat_samples(a.data(), 6, b.data(), 4, cat.data(), 2);
  CHECK(cat[6] == b[0]);
  CHECK(cat[10] == a[6]);
  k::split_samples(cat.data(), a2.data(), 6, b2.data(), 4, 2);
  CHECK(a2 == a);
  CHECK(b2 == b);
}

TEST_CASE("the Adam update matches the plain loop", "[kernels][elementwise]") {
  const std::size_t count = 1000;
  for (float wd : {0.0f, 0.01f}) {
    auto p = random_vec(count, 10), m = random_vec(count, 11, 0, 1),
         v = random_vec(count, 12, 0, 1);
    const auto g = random_vec(count, 13);
    auto pd = to_double(p), md = to_double(m), vd = to_double(v);
    k::adam_update(p.data(), g.data(), m.data(), v.data(), count, 1e-3f, 0.9f, 0.999f, 1e-8f, wd,
                   0.19f, 0.0447f);
    k::adam_update(pd.data(), to_double(g).data(), md.data(), vd.data(), count, 1e-3, 0.9, 0.999,
                   1e-8, double(wd), 0.19, 0.0447);
    CHECK(max_diff(p, pd) < 1e-6);
    CHECK(max_diff(m, md) < 1e-6);
    CHECK(max_diff(v, vd) < 1e-6);
  }
}

namespace {
/// kernels::sgd_update<T> for three steps against torch.optim.SGD's rule written as a plain loop
/// in double, for every combination of momentum (0 or 0.9), dampening (0 or 0.5), weight decay
/// (0 or 0.01) and Nesterov, on `count` values. The tolerance is the rounding of T's arithmetic,
/// bounded per element alongside the loop (first order, the standard model
/// fl(a op b) = (a op b)(1 + d), |d| <= u): each operation adds u |its result| to the error
/// bound of what it computes, and passes on its operands' bounds times their factors. The kernel
/// rounds with u = T's, the loop with u = 2^-53; the bound below uses their sum. (The constants
/// are passed in T, and 1 - dampening is formed in T, as the kernel forms them.) A wrong rule
/// is off by a good fraction of lr |g| ~ 0.1, the bound is below 1e-5 in float.
template <class T>
void check_sgd_update(std::size_t count) {
  const auto p0 = random_vec(count, 14), buf0 = random_vec(count, 15);
  const std::vector<float> grads[3] = {random_vec(count, 16), random_vec(count, 17),
                                       random_vec(count, 18)};
  const double u = std::numeric_limits<T>::epsilon() / 2 + 0x1p-53;
  const T lr = T(0.1);
  for (const T momentum : {T(0), T(0.9)})
    for (const T dampening : {T(0), T(0.5)})
      for (const T weight_decay : {T(0), T(0.01)})
        for (const bool nesterov : {false, true}) {
          INFO("count " << count << " momentum " << momentum << " dampening " << dampening
                        << " weight decay " << weight_decay << " nesterov " << nesterov);
          std::vector<T> p(p0.begin(), p0.end()), buf(buf0.begin(), buf0.end());
          std::vector<double> pd = to_double(p0), bufd = to_double(buf0);
          std::vector<double> p_err(count, 0), buf_err(count, 0);
          const double m = momentum, wd = weight_decay, c = double(T(1) - dampening);
          for (int step = 0; step < 3; ++step) {
            const std::vector<T> g(grads[step].begin(), grads[step].end());
            // Null without momentum: the kernel must not touch the buffer then.
            k::sgd_update(p.data(), g.data(), momentum != 0 ? buf.data() : nullptr, count, lr,
                          momentum, dampening, weight_decay, nesterov, step == 0);
            for (std::size_t i = 0; i < count; ++i) {
              double d = double(g[i]) + wd * pd[i];
              double d_err = wd * p_err[i] + u * (wd * std::abs(pd[i]) + std::abs(d));
              if (momentum != 0) {
                if (step == 0) {
                  bufd[i] = d;
                  buf_err[i] = d_err;
                } else {
                  const double old = bufd[i];
                  bufd[i] = m * old + c * d;
                  buf_err[i] = m * buf_err[i] + c * d_err +
                               u * (m * std::abs(old) + c * std::abs(d) + std::abs(bufd[i]));
                }
                if (nesterov) {
                  d = d + m * bufd[i];
                  d_err += m * buf_err[i] + u * (m * std::abs(bufd[i]) + std::abs(d));
                } else {
                  d = bufd[i];
                  d_err = buf_err[i];
                }
              }
              pd[i] -= double(lr) * d;
              p_err[i] += double(lr) * d_err + u * (double(lr) * std::abs(d) + std::abs(pd[i]));
            }
            std::size_t bad_p = 0, bad_buf = 0;
            for (std::size_t i = 0; i < count; ++i) {
              bad_p += !(std::abs(double(p[i]) - pd[i]) <= p_err[i]);
              if (momentum != 0) bad_buf += !(std::abs(double(buf[i]) - bufd[i]) <= buf_err[i]);
            }
            INFO("step " << step << ": p[0] " << p[0] << ", plain loop " << pd[0] << " +- "
                         << p_err[0]);
            CHECK(bad_p == 0);
            CHECK(bad_buf == 0);
          }
          // Without momentum the buffer is untouched.
          if (momentum == 0) CHECK(std::equal(buf.begin(), buf.end(), buf0.begin()));
        }
}
}  // namespace

TEST_CASE("the SGD update follows torch.optim.SGD's rule in every mode, to T's rounding",
          "[kernels][elementwise]") {
  // Tails of every length below the widest vector (1, 7, 17 values), a vector body with a tail
  // (1003), and several parallel pieces (70001 > 2 x 32768).
  for (std::size_t count :
       {std::size_t(1), std::size_t(7), std::size_t(17), std::size_t(1003), std::size_t(70001)}) {
    check_sgd_update<float>(count);
    check_sgd_update<double>(count);
  }
}

TEST_CASE("the batch norm kernels match the plain loops", "[kernels][batch_norm]") {
  // plane 37: vector-wide steps and a tail; plane 1: the tail alone. The plain loops run in
  // double; the float kernels accumulate in double too, so their sums differ from the plain
  // loops' only by the float rounding of the inputs' products.
  for (std::size_t plane : {std::size_t(37), std::size_t(1)}) {
    const std::size_t n = 3, channels = 5, count = n * channels * plane;
    INFO("plane " << plane);
    auto x = random_vec(count, 20, -2, 4);
    const auto dy = random_vec(count, 21);
    const auto gamma = random_vec(channels, 22, 0.5f, 1.5f);
    const auto beta = random_vec(channels, 23, -0.5f, 0.5f);
    auto at = [&](std::size_t i, std::size_t c, std::size_t j) {
      return (i * channels + c) * plane + j;
    };

    std::vector<float> mean(channels), var(channels);
    k::batch_norm_statistics(x.data(), n, channels, plane, mean.data(), var.data());
    std::vector<double> mean_d(channels, 0), var_d(channels, 0), scale_d(channels);
    const double m = double(n * plane);
    for (std::size_t c = 0; c < channels; ++c) {
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < plane; ++j)
          mean_d[c] += double(x[at(i, c, j)]) / m;
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < plane; ++j)
          var_d[c] +=
              (double(x[at(i, c, j)]) - mean_d[c]) * (double(x[at(i, c, j)]) - mean_d[c]) / m;
      scale_d[c] = 1.0 / std::sqrt(var_d[c] + 1e-5);
      CHECK(std::abs(double(mean[c]) - mean_d[c]) <= 1e-6 * (1 + std::abs(mean_d[c])));
      CHECK(std::abs(double(var[c]) - var_d[c]) <= 1e-6 * (1 + var_d[c]));
    }

    std::vector<float> shift(mean), scale(channels);
    for (std::size_t c = 0; c < channels; ++c)
      scale[c] = float(scale_d[c]);
    std::vector<float> xhat(count), y(count);
    k::batch_norm_normalize(x.data(), xhat.data(), y.data(), n, channels, plane, shift.data(),
                            scale.data(), gamma.data(), beta.data());
    std::vector<double> xhat_d(count), y_d(count);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t j = 0; j < plane; ++j) {
          const std::size_t e = at(i, c, j);
          xhat_d[e] = (double(x[e]) - mean_d[c]) * scale_d[c];
          y_d[e] = xhat_d[e] * double(gamma[c]) + double(beta[c]);
        }
    CHECK(max_diff(xhat, xhat_d) < 1e-5);
    CHECK(max_diff(y, y_d) < 1e-5);

    std::vector<float> sum_dy(channels), sum_dy_xhat(channels);
    k::batch_norm_backward_sums(dy.data(), xhat.data(), n, channels, plane, sum_dy.data(),
                                sum_dy_xhat.data());
    std::vector<float> mean_dy(channels), mean_dy_xhat(channels), grad_scale(channels);
    std::vector<double> mean_dy_d(channels, 0), mean_dy_xhat_d(channels, 0);
    for (std::size_t c = 0; c < channels; ++c) {
      double s = 0, sx = 0;
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < plane; ++j) {
          s += double(dy[at(i, c, j)]);
          sx += double(dy[at(i, c, j)]) * xhat_d[at(i, c, j)];
        }
      CHECK(std::abs(double(sum_dy[c]) - s) <= 1e-6 * double(count));
      CHECK(std::abs(double(sum_dy_xhat[c]) - sx) <= 1e-5 * double(count));
      mean_dy_d[c] = s / m;
      mean_dy_xhat_d[c] = sx / m;
      mean_dy[c] = float(mean_dy_d[c]);
      mean_dy_xhat[c] = float(mean_dy_xhat_d[c]);
      grad_scale[c] = float(double(gamma[c]) * scale_d[c]);
    }
    std::vector<float> dx(count);
    k::batch_norm_backward_data(dy.data(), xhat.data(), dx.data(), n, channels, plane,
                                grad_scale.data(), mean_dy.data(), mean_dy_xhat.data());
    std::vector<double> dx_d(count);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t j = 0; j < plane; ++j) {
          const std::size_t e = at(i, c, j);
          dx_d[e] = double(gamma[c]) * scale_d[c] *
                    (double(dy[e]) - mean_dy_d[c] - xhat_d[e] * mean_dy_xhat_d[c]);
        }
    CHECK(max_diff(dx, dx_d) < 1e-4);
  }
}
