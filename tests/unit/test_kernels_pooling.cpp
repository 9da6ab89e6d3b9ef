// The max-pool kernels (kernels/pooling.hpp) and the LeakyReLU kernels (kernels/activations.hpp):
// hand-worked windows with ties, NaNs, infinities and padding (the picks PyTorch 1.13's CPU
// kernel makes, checked against torch); float and double make the same picks; float results
// are bit-identical on one thread and on two; LeakyReLU's SIMD body and tail compute exactly
// the scalar formula.

#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "ctnn/kernels/activations.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/pooling.hpp"

namespace k = ctnn::kernels;

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

/// Equal, or both NaN.
template <class T>
bool same_value(T a, T b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

/// Forward and backward of one 3 x 3 plane through geometry G in scalar type T; checks y,
/// argmax and dx against the values PyTorch gives.
template <class G, class T>
void check_plane(const std::vector<double>& x, const std::vector<double>& dy,
                 const std::vector<double>& want_y, const std::vector<k::PoolIndex>& want_arg,
                 const std::vector<double>& want_dx) {
  REQUIRE(x.size() == G::in_plane);
  REQUIRE(want_y.size() == G::out_plane);
  std::vector<T> xt(x.begin(), x.end()), dyt(dy.begin(), dy.end()), y(G::out_plane),
      dx(G::in_plane);
  std::vector<k::PoolIndex> arg(G::out_plane);
  k::max_pool2d_forward<G>(xt.data(), y.data(), arg.data(), 1);
  k::max_pool2d_backward<G>(dyt.data(), arg.data(), dx.data(), 1);
  for (std::size_t o = 0; o < G::out_plane; ++o) {
    INFO("output " << o);
    CHECK(same_value(double(y[o]), want_y[o]));
    CHECK(arg[o] == want_arg[o]);
  }
  for (std::size_t i = 0; i < G::in_plane; ++i) {
    INFO("input " << i);
    CHECK(dx[i] == T(want_dx[i]));
  }
}

template <class T>
void check_hand_worked_planes() {
  // 2 x 2 windows, stride 1: ties go to the first maximum, row by row (3 at index 1 in the
  // first two windows, then 3 at 3 and 5), and the gradients of overlapping windows add up.
  check_plane<k::MaxPool2dGeometry<2, 1, 0, 3, 3>, T>({1, 3, 3, 3, 2, 3, 1, 3, 1}, {1, 2, 3, 4},
                                                      {3, 3, 3, 3}, {1, 1, 3, 5},
                                                      {0, 3, 0, 3, 0, 4, 0, 0, 0});
  // A NaN is the maximum, and of two NaNs in a window the last one (PyTorch's `v > max ||
  // isnan(v)`): the first window holds NaNs at 1 and 3 and picks 3.
  check_plane<k::MaxPool2dGeometry<2, 1, 0, 3, 3>, T>({1, nan, 3, nan, 2, 3, 1, 3, 1}, {0, 1, 2, 3},
                                                      {nan, nan, nan, 3}, {3, 1, 3, 5},
                                                      {0, 1, 0, 2, 0, 3, 0, 0, 0});
  // Padding 1 is never picked: windows whose elements inside the input are all -inf give -inf
  // and send the gradient to their first element inside the input.
  check_plane<k::MaxPool2dGeometry<2, 1, 1, 3, 3>, T>(
      {-inf, -inf, 3, -inf, -inf, 3, 1, 3, 1},
      {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
      {-inf, -inf, 3, 3, -inf, -inf, 3, 3, 1, 3, 3, 3, 1, 3, 3, 1},
      {0, 0, 2, 2, 0, 0, 2, 2, 6, 7, 5, 5, 6, 7, 7, 8},
      {1 + 2 + 5 + 6, 0, 3 + 4 + 7 + 8, 0, 0, 11 + 12, 9 + 13, 10 + 14 + 15, 16});
}
}  // namespace

TEST_CASE("max pool picks what PyTorch picks: ties, NaN, infinities, padding",
          "[kernels][pooling]") {
  check_hand_worked_planes<float>();
  check_hand_worked_planes<double>();
}

TEST_CASE("max pool: float and double agree, and float is the same on 1 and 2 threads",
          "[kernels][pooling]") {
  // 3 x 3 windows, stride 2, padding 1 on 33 x 31 planes; 70 planes. Integer inputs 0..4 (ties
  // everywhere) with some NaNs; integer dy, so that every sum of gradients is exact in float.
  using G = k::MaxPool2dGeometry<3, 2, 1, 33, 31>;
  static_assert(G::out_h == 17 && G::out_w == 16);
  const std::size_t planes = 70;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(0, 4), grad(-4, 4);
  std::vector<float> x(planes * G::in_plane), dy(planes * G::out_plane);
  for (auto& v : x)
    v = float(value(rng));
  for (std::size_t i = 0; i < x.size(); i += 97)
    x[i] = std::numeric_limits<float>::quiet_NaN();
  for (auto& v : dy)
    v = float(grad(rng));

  auto run_float = [&](int threads, std::vector<float>& y, std::vector<k::PoolIndex>& arg,
                       std::vector<float>& dx) {
    ctnn::set_num_threads(threads);
    y.assign(planes * G::out_plane, 0);
    arg.assign(planes * G::out_plane, 0);
    dx.assign(planes * G::in_plane, 1);  // backward overwrites
    k::max_pool2d_forward<G>(x.data(), y.data(), arg.data(), planes);
    k::max_pool2d_backward<G>(dy.data(), arg.data(), dx.data(), planes);
  };
  std::vector<float> y1, dx1, y2, dx2;
  std::vector<k::PoolIndex> arg1, arg2;
  run_float(1, y1, arg1, dx1);
  run_float(2, y2, arg2, dx2);
  ctnn::set_num_threads(0);
  CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);
  CHECK(arg1 == arg2);
  CHECK(std::memcmp(dx1.data(), dx2.data(), dx1.size() * sizeof(float)) == 0);

  const std::vector<double> xd(x.begin(), x.end()), dyd(dy.begin(), dy.end());
  std::vector<double> yd(y1.size()), dxd(dx1.size());
  std::vector<k::PoolIndex> argd(arg1.size());
  k::max_pool2d_forward<G>(xd.data(), yd.data(), argd.data(), planes);
  k::max_pool2d_backward<G>(dyd.data(), argd.data(), dxd.data(), planes);
  CHECK(argd == arg1);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < yd.size(); ++i)
    bad += !same_value(double(y1[i]), yd[i]);
  for (std::size_t i = 0; i < dxd.size(); ++i)
    bad += double(dx1[i]) != dxd[i];
  CHECK(bad == 0);
  std::size_t nans = 0;
  for (float v : y1)
    nans += std::isnan(v);
  CHECK(nans > 0);  // the NaNs reached the output
}

namespace {
/// The LeakyReLU kernels against PyTorch's formula evaluated one scalar at a time in T, on
/// inputs with 0, -0, NaN and infinities: equal (NaN for NaN) element by element.
template <class T>
void check_leaky_relu(std::size_t count, T slope) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<T> u(-3, 3);
  std::vector<T> x(count), dy(count), y(count), dx(count);
  for (auto& v : x)
    v = u(rng);
  for (auto& v : dy)
    v = u(rng);
  const T special[] = {T(0), -T(0), std::numeric_limits<T>::quiet_NaN(),
                       std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity()};
  for (std::size_t i = 0; i < count; i += 7)
    x[i] = special[(i / 7) % 5];
  k::leaky_relu_forward(x.data(), y.data(), count, slope);
  k::leaky_relu_backward(x.data(), dy.data(), dx.data(), count, slope);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const T want_y = x[i] > 0 ? x[i] : x[i] * slope;
    const T want_dx = x[i] > 0 ? dy[i] : dy[i] * slope;
    bad += !same_value(y[i], want_y) || std::signbit(y[i]) != std::signbit(want_y);
    bad += !same_value(dx[i], want_dx);
  }
  CHECK(bad == 0);
}
}  // namespace

TEST_CASE("LeakyReLU kernels compute PyTorch's formula exactly", "[kernels][leaky_relu]") {
  // Sizes that leave vector tails and span several parallel pieces; 1 and 2 threads.
  for (int threads : {1, 2}) {
    ctnn::set_num_threads(threads);
    for (std::size_t count : {std::size_t(1), std::size_t(17), std::size_t(100003)}) {
      INFO("threads " << threads << ", count " << count);
      check_leaky_relu<float>(count, 0.01f);
      check_leaky_relu<float>(count, float(0.1));
      check_leaky_relu<double>(count, 0.1);
    }
  }
  ctnn::set_num_threads(0);
}
