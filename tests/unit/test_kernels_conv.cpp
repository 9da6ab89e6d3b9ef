// The fast float conv kernels against the reference loops (the oracle), pass by pass, on the
// course's shapes and on odd ones: stride, padding, dilation, output padding, batch 1,
// batches that span several workspace chunks; plus thread-count independence.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <tbb/info.h>
#include <catch2/catch.hpp>

#include "conv_check.hpp"
#include "ctnn/kernels/conv.hpp"
#include "ctnn/kernels/reference/conv.hpp"
#include "thread_probe.hpp"

using conv_check::random_vec;
using conv_check::rel_err;
using conv_check::to_double;
using ctnn::kernels::ConvGeometry;

namespace {

using conv_check::conv;
using conv_check::conv_t;

template <ConvGeometry G>
void check_passes(std::size_t n) {
  INFO("geometry Cin=" << G.in_channels << " Cout=" << G.out_channels << " K=" << G.kernel << " S="
                       << G.stride << " P=" << G.padding << " D=" << G.dilation << " in=" << G.in_h
                       << "x" << G.in_w << " out=" << G.out_h << "x" << G.out_w << " n=" << n);
  const auto x = random_vec(n * G.in_size(), 1);
  const auto w = random_vec(G.weight_size(), 2);
  const auto b = random_vec(std::size_t(G.out_channels), 3);
  const auto dy = random_vec(n * G.out_size(), 4);
  const auto dw0 = random_vec(G.weight_size(), 5);  // backward_weight accumulates onto this
  const double tol = 2e-6 * std::sqrt(double(G.in_channels * G.kernel * G.kernel + 1)) + 1e-6;

  ctnn::kernels::ConvKernel<G, float> fast;

  std::vector<double> y_ref(n * G.out_size());
  const auto xd = to_double(x), wd = to_double(w), bd = to_double(b), dyd = to_double(dy);
  ctnn::kernels::reference::conv_forward<G>(xd.data(), wd.data(), bd.data(), y_ref.data(), n);
  std::vector<float> y(n * G.out_size(), NAN);
  fast.forward(x.data(), w.data(), b.data(), y.data(), n);
  CHECK(rel_err(y, y_ref) < tol);

  // Without bias, and a second call reusing the workspaces.
  ctnn::kernels::reference::conv_forward<G>(xd.data(), wd.data(), static_cast<double*>(nullptr),
                                            y_ref.data(), n);
  std::fill(y.begin(), y.end(), NAN);
  fast.forward(x.data(), w.data(), nullptr, y.data(), n);
  CHECK(rel_err(y, y_ref) < tol);

  std::vector<double> dx_ref(n * G.in_size());
  ctnn::kernels::reference::conv_backward_data<G>(dyd.data(), wd.data(), dx_ref.data(), n);
  std::vector<float> dx(n * G.in_size(), NAN);
  fast.backward_data(dy.data(), w.data(), dx.data(), n);
  const double tol_dx = 2e-6 * std::sqrt(double(G.out_channels * G.kernel * G.kernel + 1)) + 1e-6;
  CHECK(rel_err(dx, dx_ref) < tol_dx);

  std::vector<double> dw_ref = to_double(dw0);
  ctnn::kernels::reference::conv_backward_weight<G>(xd.data(), dyd.data(), dw_ref.data(), n);
  std::vector<float> dw = dw0;
  fast.backward_weight(x.data(), dy.data(), dw.data(), n);
  const double tol_dw = 2e-6 * std::sqrt(double(n * G.out_h * G.out_w + 1)) + 1e-6;
  CHECK(rel_err(dw, dw_ref) < tol_dw);
}

}  // namespace

TEST_CASE("fast conv matches the reference on the course's shapes", "[kernels][conv]") {
  // final model: Conv2d<3,100,3>, Conv2d<100,100,3>, ConvTranspose2d<100,100,3> on 28x28,
  // ConvTranspose2d<200,3,3> on 30x30
  check_passes<conv(3, 100, 3, 1, 0, 1, 32, 32)>(2);
  check_passes<conv(100, 100, 3, 1, 0, 1, 30, 30)>(1);
  check_passes<conv_t(100, 100, 3, 1, 0, 0, 1, 28, 28)>(1);
  check_passes<conv_t(200, 3, 3, 1, 0, 0, 1, 30, 30)>(2);
  // initial model's 32-channel layers
  check_passes<conv(3, 32, 3, 1, 0, 1, 32, 32)>(3);
  check_passes<conv(32, 32, 3, 1, 0, 1, 30, 30)>(2);
  check_passes<conv_t(32, 32, 3, 1, 0, 0, 1, 28, 28)>(2);
  check_passes<conv_t(32, 3, 3, 1, 0, 0, 1, 30, 30)>(2);
}

TEST_CASE("fast conv matches the reference on odd shapes", "[kernels][conv]") {
  SECTION("odd sizes, padding, partial register tiles") {
    check_passes<conv(5, 7, 3, 1, 1, 1, 11, 13)>(3);
    check_passes<conv(17, 23, 3, 1, 1, 1, 13, 15)>(2);
    check_passes<conv(1, 1, 3, 1, 0, 1, 3, 3)>(1);  // one output pixel
    check_passes<conv(3, 4, 1, 1, 0, 1, 7, 5)>(2);  // 1x1 kernel
    check_passes<conv(2, 9, 5, 1, 0, 1, 9, 8)>(1);
    check_passes<conv(4, 3, 5, 1, 2, 1, 6, 7)>(2);
  }
  SECTION("stride") {
    check_passes<conv(4, 6, 3, 2, 1, 1, 9, 10)>(2);
    check_passes<conv(3, 5, 4, 3, 0, 1, 11, 12)>(1);
    check_passes<conv_t(4, 6, 3, 2, 1, 1, 1, 5, 5)>(2);  // ConvT with output padding
    check_passes<conv_t(3, 2, 4, 2, 1, 0, 1, 4, 6)>(1);
  }
  SECTION("dilation") {
    check_passes<conv(3, 5, 3, 1, 2, 2, 12, 9)>(2);
    check_passes<conv(2, 3, 3, 2, 1, 2, 11, 11)>(1);
    check_passes<conv_t(3, 4, 3, 1, 0, 1, 2, 6, 6)>(2);  // output padding < dilation
  }
  SECTION("padding larger than the dilated kernel (backward-data not a plain conv)") {
    check_passes<conv(2, 3, 3, 1, 3, 1, 5, 5)>(2);
  }
  SECTION("batches that span several workspace chunks") {
    check_passes<conv(2, 3, 3, 1, 1, 1, 6, 6)>(37);
    check_passes<conv(3, 4, 3, 2, 1, 1, 7, 7)>(33);
  }
}

TEST_CASE("fast conv results do not depend on the thread count", "[kernels][conv][threads]") {
  constexpr ConvGeometry G = conv(20, 24, 3, 1, 1, 1, 17, 19);
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
    ctnn::kernels::ConvKernel<G, float> k;
    std::vector<float> out(n * G.out_size() + n * G.in_size() + G.weight_size(), 0.0f);
    float* y = out.data();
    float* dx = y + n * G.out_size();
    float* dw = dx + n * G.in_size();
    k.forward(x.data(), w.data(), b.data(), y, n);
    k.backward_data(dy.data(), w.data(), dx, n);
    k.backward_weight(x.data(), dy.data(), dw, n);
    ctnn::set_num_threads(0);
    // 0 removed the cap: TBB's default (every core the process may use) again.
    CHECK(ctnn::num_threads() == tbb::info::default_concurrency());
    return out;
  };
  const auto one = run(1), two = run(2), again = run(2);
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(two.data(), again.data(), two.size() * sizeof(float)) == 0);
}
