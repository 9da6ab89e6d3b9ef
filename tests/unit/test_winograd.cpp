// Winograd convolution F(2x2, 3x3) and F(4x4, 3x3) against the double reference loops, pass by
// pass: the transforms themselves, the course's layers, odd sizes (partial tiles, partial
// register tiles, padding 0-2), batches that span several tile chunks, and thread-count
// independence. The error bound each tile size must meet is stated once, in winograd_bound.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "conv_check.hpp"
#include "ctnn/kernels/conv.hpp"
#include "ctnn/kernels/reference/conv.hpp"
#include "ctnn/kernels/winograd.hpp"
#include "thread_probe.hpp"

using conv_check::random_vec;
using conv_check::rel_err;
using ctnn::kernels::ConvGeometry;
using ctnn::kernels::winograd::Problem;
using ctnn::kernels::winograd::WinogradConv;

namespace {

constexpr ConvGeometry conv3(int ci, int co, int p, int h, int w) {
  return {ci, co, 3, 1, p, 1, h, w, h + 2 * p - 2, w + 2 * p - 2};
}
constexpr Problem forward_problem(ConvGeometry g) {
  return {g.in_channels, g.out_channels, g.in_h, g.in_w, g.padding, g.out_h, g.out_w};
}
constexpr Problem backward_data_problem(ConvGeometry g) {
  return {g.out_channels, g.in_channels, g.out_h, g.out_w, 2 - g.padding, g.in_h, g.in_w};
}

/// The error bound of docs/performance.md, relative to the largest |reference| value:
/// c_m u sqrt(terms) for a sum of `terms` products, u = 2^-24 the float unit roundoff, with
/// c_2 = 2 and c_4 = 20. The transforms' coefficients (up to 8 and 1/24 for F(4x4, 3x3))
/// amplify rounding: measured on these shapes, F(2x2) errs up to 0.7 u sqrt(terms), about as
/// much as the direct kernels (0.7 u sqrt(terms)), and F(4x4) up to 10 u sqrt(terms).
double winograd_bound(int m, double terms) {
  constexpr double u = 0x1p-24;
  return (m == 2 ? 2.0 : 20.0) * u * std::sqrt(terms + 1);
}

template <ConvGeometry G, int M, std::size_t WeightBudget = (std::size_t(2) << 20)>
void check_passes(std::size_t n, double* worst = nullptr) {
  INFO("F(" << M << "x" << M << ", 3x3) Cin=" << G.in_channels << " Cout=" << G.out_channels
            << " P=" << G.padding << " in=" << G.in_h << "x" << G.in_w << " n=" << n);
  const auto x = random_vec(n * G.in_size(), 1);
  const auto w = random_vec(G.weight_size(), 2);
  const auto b = random_vec(std::size_t(G.out_channels), 3);
  const auto dy = random_vec(n * G.out_size(), 4);
  const auto dw0 = random_vec(G.weight_size(), 5);
  const std::vector<double> xd(x.begin(), x.end()), wd(w.begin(), w.end()), bd(b.begin(), b.end()),
      dyd(dy.begin(), dy.end());
  constexpr int Ci = G.in_channels, Co = G.out_channels;

  using Conv = WinogradConv<forward_problem(G), M, WeightBudget>;
  Conv fwd;
  // A small budget is there to split backward-weight's reduction into chunks.
  if (WeightBudget < (std::size_t(2) << 20)) CHECK(n * Conv::tiles_per_sample > Conv::weight_chunk);
  std::vector<double> y_ref(n * G.out_size());
  ctnn::kernels::reference::conv_forward<G>(xd.data(), wd.data(), bd.data(), y_ref.data(), n);
  std::vector<float> y(n * G.out_size(), NAN);
  auto filter = [&](int o, int c, int ky, int kx) {
    return w[((std::size_t(o) * Ci + c) * 3 + ky) * 3 + kx];
  };
  fwd.forward(filter, x.data(), b.data(), y.data(), n);
  const double e_y = rel_err(y, y_ref);
  CHECK(e_y < winograd_bound(M, 9.0 * Ci));
  // Without bias, reusing the workspaces.
  ctnn::kernels::reference::conv_forward<G>(xd.data(), wd.data(), static_cast<double*>(nullptr),
                                            y_ref.data(), n);
  std::fill(y.begin(), y.end(), NAN);
  fwd.forward(filter, x.data(), nullptr, y.data(), n);
  CHECK(rel_err(y, y_ref) < winograd_bound(M, 9.0 * Ci));

  WinogradConv<backward_data_problem(G), M> bwd;
  std::vector<double> dx_ref(n * G.in_size());
  ctnn::kernels::reference::conv_backward_data<G>(dyd.data(), wd.data(), dx_ref.data(), n);
  std::vector<float> dx(n * G.in_size(), NAN);
  bwd.forward(
      [&](int ci, int co, int ky, int kx) {
        return w[((std::size_t(co) * Ci + ci) * 3 + (2 - ky)) * 3 + (2 - kx)];
      },
      dy.data(), nullptr, dx.data(), n);
  const double e_dx = rel_err(dx, dx_ref);
  CHECK(e_dx < winograd_bound(M, 9.0 * Co));

  std::vector<double> dw_ref(dw0.begin(), dw0.end());
  ctnn::kernels::reference::conv_backward_weight<G>(xd.data(), dyd.data(), dw_ref.data(), n);
  std::vector<float> dw = dw0;
  fwd.backward_weight(x.data(), dy.data(), dw.data(), n);
  const double e_dw = rel_err(dw, dw_ref);
  CHECK(e_dw < winograd_bound(M, double(n) * G.out_h * G.out_w));
  if (worst) {
    worst[0] = std::max(worst[0], e_y / winograd_bound(M, 9.0 * Ci));
    worst[1] = std::max(worst[1], e_dx / winograd_bound(M, 9.0 * Co));
    worst[2] = std::max(worst[2], e_dw / winograd_bound(M, double(n) * G.out_h * G.out_w));
  }
}

template <int M>
void check_all_shapes() {
  double worst[3] = {0, 0, 0};
  // The course's final model: Conv2d<3,100,3>, Conv2d<100,100,3> on 30x30, and the geometries
  // of ConvTranspose2d<100,100,3> on 28x28 and ConvTranspose2d<200,3,3> on 30x30.
  check_passes<conv3(3, 100, 0, 32, 32), M>(2, worst);
  check_passes<conv3(100, 100, 0, 30, 30), M>(2, worst);
  check_passes<conv3(100, 100, 0, 30, 30), M>(1, worst);
  check_passes<conv3(3, 200, 0, 32, 32), M>(2, worst);
  // The U-Net's and DnCNN's padded layers.
  check_passes<conv3(48, 48, 1, 16, 16), M>(2, worst);
  check_passes<conv3(64, 64, 1, 20, 20), M>(1, worst);
  // Odd sizes: partial tiles at the right and bottom edges, partial register tiles, one
  // channel, padding 0, 1 and 2, inputs smaller than a tile.
  check_passes<conv3(5, 7, 1, 11, 13), M>(3, worst);
  check_passes<conv3(17, 23, 0, 13, 15), M>(2, worst);
  check_passes<conv3(1, 1, 0, 3, 3), M>(1, worst);
  check_passes<conv3(2, 3, 2, 5, 4), M>(2, worst);
  check_passes<conv3(3, 2, 1, 1, 1), M>(3, worst);
  // Batches whose tiles span several backward-weight chunks (a small chunk budget: 2 or 3
  // chunks of NR tiles), and a long batch.
  check_passes<conv3(7, 9, 1, 9, 11), M, 4096>(5, worst);
  check_passes<conv3(2, 3, 1, 6, 6), M>(37, worst);
  // The worst error against the bound, for docs/performance.md.
  WARN("F(" << M << "x" << M << ", 3x3): largest error / bound: forward " << worst[0]
            << ", backward-data " << worst[1] << ", backward-weight " << worst[2]);
}

}  // namespace

TEST_CASE("Winograd transforms compute a 1-D correlation", "[kernels][winograd]") {
  auto check = [](auto transform) {
    using T = decltype(transform);
    constexpr int m = T::m, alpha = T::alpha;
    const double values[6] = {0.3, -1.2, 2.5, 0.7, -0.4, 1.9};
    const double* d = values;
    const double g[3] = {0.8, -0.6, 1.1};
    double gg[alpha], dd[alpha];
    for (int a = 0; a < alpha; ++a) {
      gg[a] = T::g[a][0] * g[0] + T::g[a][1] * g[1] + T::g[a][2] * g[2];
      dd[a] = 0;
      for (int k = 0; k < alpha; ++k)
        dd[a] += double(T::bt[a][k]) * d[k];
    }
    for (int i = 0; i < m; ++i) {
      double y = 0;
      for (int a = 0; a < alpha; ++a)
        y += double(T::at[i][a]) * gg[a] * dd[a];
      const double direct = g[0] * d[i] + g[1] * d[i + 1] + g[2] * d[i + 2];
      CHECK(y == Approx(direct).epsilon(1e-12));
    }
  };
  check(ctnn::kernels::winograd::Transform<2>{});
  check(ctnn::kernels::winograd::Transform<4>{});
}

TEST_CASE("Winograd F(2x2, 3x3) matches the reference", "[kernels][winograd]") {
  check_all_shapes<2>();
}

TEST_CASE("Winograd F(4x4, 3x3) matches the reference", "[kernels][winograd]") {
  check_all_shapes<4>();
}

TEST_CASE("Winograd results do not depend on the thread count", "[kernels][winograd][threads]") {
  constexpr ConvGeometry G = conv3(20, 24, 1, 17, 19);
  const std::size_t n = 5;
  const auto x = random_vec(n * G.in_size(), 11);
  const auto w = random_vec(G.weight_size(), 12);
  const auto b = random_vec(std::size_t(G.out_channels), 13);
  const auto dy = random_vec(n * G.out_size(), 14);
  auto run = [&](int threads) {
    using namespace std::chrono_literals;
    ctnn::set_num_threads(threads);
    // The cap holds inside the run: the kernels' loop runs items on exactly `threads` threads.
    CHECK(ctnn::num_threads() == threads);
    CHECK(ctnn::test::threads_running_items(threads == 1 ? 200ms : 10s) == threads);
    WinogradConv<forward_problem(G), 4> k;
    std::vector<float> out(n * G.out_size() + G.weight_size(), 0.0f);
    k.forward([&](int o, int c, int ky,
                  int kx) { return w[((std::size_t(o) * G.in_channels + c) * 3 + ky) * 3 + kx]; },
              x.data(), b.data(), out.data(), n);
    k.backward_weight(x.data(), dy.data(), out.data() + n * G.out_size(), n);
    ctnn::set_num_threads(0);
    return out;
  };
  const auto one = run(1), two = run(2), again = run(2);
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(two.data(), again.data(), two.size() * sizeof(float)) == 0);
}

TEST_CASE("ConvKernel runs Winograd where the model plans it, and direct when told",
          "[kernels][winograd]") {
  // The final model's 100-channel layer: the model plans F(4x4, 3x3) for all three passes on
  // every machine the project targets (AVX2 and AVX-512); the 3-channel layer stays direct.
  constexpr ConvGeometry G = conv3(100, 100, 0, 30, 30);
  using Kernel = ctnn::kernels::ConvKernel<G, float>;
  using ctnn::kernels::ConvPass;
  STATIC_REQUIRE(Kernel::forward_plan.winograd);
  STATIC_REQUIRE(Kernel::forward_plan.tile == 4);
  STATIC_REQUIRE(Kernel::backward_data_plan.winograd);
  STATIC_REQUIRE_FALSE(
      ctnn::kernels::ConvKernel<conv3(3, 100, 0, 32, 32), float>::forward_plan.winograd);

  const std::size_t n = 3;
  const auto x = random_vec(n * G.in_size(), 21);
  const auto w = random_vec(G.weight_size(), 22);
  const auto b = random_vec(std::size_t(G.out_channels), 23);
  const auto dy = random_vec(n * G.out_size(), 24);
  auto run = [&](ctnn::ConvAlgorithm a) {
    ctnn::set_conv_algorithm(a);
    CHECK(Kernel::uses_winograd(ConvPass::forward) == (a == ctnn::ConvAlgorithm::automatic));
    Kernel k;
    std::vector<float> out(n * G.out_size() + n * G.in_size() + G.weight_size(), 0.0f);
    k.forward(x.data(), w.data(), b.data(), out.data(), n);
    k.backward_data(dy.data(), w.data(), out.data() + n * G.out_size(), n);
    k.backward_weight(x.data(), dy.data(), out.data() + n * (G.out_size() + G.in_size()), n);
    ctnn::set_conv_algorithm(ctnn::ConvAlgorithm::automatic);
    return out;
  };
  const auto direct = run(ctnn::ConvAlgorithm::direct);
  const auto wino = run(ctnn::ConvAlgorithm::automatic);
  // Different algorithms: not bit-identical, but within Winograd's bound of each other.
  CHECK(std::memcmp(direct.data(), wino.data(), direct.size() * sizeof(float)) != 0);
  const std::vector<double> ref(direct.begin(), direct.end());
  CHECK(rel_err(wino, ref) < winograd_bound(4, 9.0 * 100) + winograd_bound(2, 9.0 * 100));
}
