// Every block against PyTorch: outputs, input gradients and parameter gradients from the
// fixtures of tools/pytorch/make_golden.py (computed by PyTorch 1.13 in float64).

#include <algorithm>
#include <cmath>
#include <iterator>
#include <span>
#include <type_traits>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "golden.hpp"

using namespace ctnn;
using namespace ctnn::test;

/// Runs bound layer L on the case's x with the case's parameters; compares y, then backward
/// with the case's gy: gx and every parameter gradient.
template <class L>
void check_case(const std::string& name) {
  INFO("golden case " << name);
  Rng rng{0};
  L layer(rng);
  ParameterList<float> params;
  layer.collect_parameters(params, "");
  load_parameters(name, "param", params);

  const auto x = load_batch<typename L::input_shape>(name, "x");
  const auto& y = layer.forward(x);
  require_close(y, load_fixture(name, "y"), name + " y");

  const auto gy = load_batch<typename L::output_shape>(name, "gy");
  layer.zero_grad();
  const auto& gx = layer.backward(gy);
  require_close(gx, load_fixture(name, "gx"), name + " gx");
  compare_parameters(name, "grad", params, /*gradients=*/true);
}

template <class Spec, int C, int H, int W>
using Bound = typename Spec::template bind<Shape<C, H, W>, float>;

TEST_CASE("Conv2d matches PyTorch", "[golden][conv2d]") {
  check_case<Bound<Conv2d<2, 3, 3, 1, 0, 1>, 2, 7, 7>>("conv_basic");
  check_case<Bound<Conv2d<3, 4, 3, 1, 1, 1>, 3, 6, 5>>("conv_pad1");
  check_case<Bound<Conv2d<3, 2, 3, 2, 0, 1>, 3, 9, 8>>("conv_stride2");
  check_case<Bound<Conv2d<2, 3, 3, 2, 1, 1>, 2, 8, 7>>("conv_stride2_pad1");
  check_case<Bound<Conv2d<2, 3, 3, 1, 1, 2>, 2, 9, 9>>("conv_dil2");
  check_case<Bound<Conv2d<4, 2, 1, 1, 0, 1>, 4, 5, 5>>("conv_k1");
  check_case<Bound<Conv2d<3, 2, 5, 2, 2, 1>, 3, 11, 9>>("conv_k5_odd");
}

TEST_CASE("ConvTranspose2d matches PyTorch", "[golden][conv_transpose2d]") {
  check_case<Bound<ConvTranspose2d<2, 3, 3, 1, 0, 0, 1>, 2, 5, 5>>("convt_basic");
  check_case<Bound<ConvTranspose2d<3, 2, 3, 1, 1, 0, 1>, 3, 6, 5>>("convt_pad1");
  check_case<Bound<ConvTranspose2d<3, 2, 3, 2, 0, 0, 1>, 3, 4, 5>>("convt_stride2");
  check_case<Bound<ConvTranspose2d<2, 3, 3, 2, 1, 1, 1>, 2, 5, 4>>("convt_stride2_pad1_op1");
  check_case<Bound<ConvTranspose2d<2, 3, 3, 1, 1, 0, 2>, 2, 5, 6>>("convt_dil2");
  check_case<Bound<ConvTranspose2d<3, 2, 4, 2, 1, 0, 1>, 3, 4, 4>>("convt_k4_s2");
}

TEST_CASE("Upsample (nearest) matches PyTorch", "[golden][upsample]") {
  check_case<Bound<Upsample<2>, 3, 4, 5>>("upsample2");
  check_case<Bound<Upsample<3>, 2, 3, 3>>("upsample3");
}

TEST_CASE("ReLU and Sigmoid match PyTorch", "[golden][activations]") {
  check_case<Bound<ReLU, 3, 5, 4>>("relu");
  // Includes inputs of +-30, +-90 and +-200: the stable formulation neither overflows nor
  // returns NaN, and tiny outputs (~1e-39 for -90) stay within the absolute tolerance.
  check_case<Bound<Sigmoid, 3, 5, 4>>("sigmoid");
}

TEST_CASE("SkipConcat matches PyTorch's torch.cat([body(x), x], 1)", "[golden][skip_concat]") {
  check_case<Bound<SkipConcat<Conv2d<3, 4, 3, 1, 1>, ReLU>, 3, 6, 6>>("skip");
}

TEST_CASE("MSELoss matches PyTorch", "[golden][mse]") {
  const auto x = load_batch<Shape<3, 4, 4>>("mse", "x");
  const auto t = load_batch<Shape<3, 4, 4>>("mse", "target");
  MSELoss<Shape<3, 4, 4>> loss;
  const float l = loss.forward(x, t);
  require_close(std::span(&l, 1), load_fixture("mse", "loss"), "mse loss");
  require_close(loss.backward(), load_fixture("mse", "gx"), "mse gx");
}

/// A BatchNorm2d case in scalar type T: forward, the running statistics after it (training
/// mode: updated, after one forward and after a second one on x2; evaluation mode: unchanged),
/// backward. The fixtures round float64 results, computed from the same float32 inputs, to
/// float32: in double ctnn must agree to that rounding (2^-24 = 6e-8 relative, so rtol 1e-7;
/// atol 1e-12 covers double's own error on cancelling sums of O(1) terms); in float the
/// tolerance of the other layers.
template <class T, int C, int H, int W>
void check_batch_norm_case(const std::string& name, bool training) {
  INFO("golden case " << name << (std::is_same_v<T, double> ? " (double)" : " (float)"));
  constexpr bool is_double = std::is_same_v<T, double>;
  const double rtol = is_double ? 1e-7 : 1e-5, atol = is_double ? 1e-12 : 1e-6;
  using L = typename BatchNorm2d<C>::template bind<Shape<C, H, W>, T>;
  Rng rng{0};
  L layer(rng);
  layer.set_training(training);
  ParameterList<T> params;
  layer.collect_parameters(params, "");
  load_parameters(name, "param", params);
  const auto mean0 = load_fixture(name, "buffer.running_mean");
  const auto var0 = load_fixture(name, "buffer.running_var");
  std::copy(mean0.begin(), mean0.end(), layer.running_mean().data());
  std::copy(var0.begin(), var0.end(), layer.running_var().data());

  const auto x = load_batch<Shape<C, H, W>, T>(name, "x");
  const auto& y = layer.forward(x);
  require_close(y, load_fixture(name, "y"), name + " y", rtol, atol);
  if (training) {
    require_close(layer.running_mean(), load_fixture(name, "after1.running_mean"),
                  name + " running_mean after one forward", rtol, atol);
    require_close(layer.running_var(), load_fixture(name, "after1.running_var"),
                  name + " running_var after one forward", rtol, atol);
    CHECK(layer.num_batches_tracked() == 1);
  } else {
    for (int c = 0; c < C; ++c) {
      CHECK(layer.running_mean()(c) == T(mean0(c)));
      CHECK(layer.running_var()(c) == T(var0(c)));
    }
    CHECK(layer.num_batches_tracked() == 0);
  }

  const auto gy = load_batch<Shape<C, H, W>, T>(name, "gy");
  layer.zero_grad();
  const auto& gx = layer.backward(gy);
  require_close(gx, load_fixture(name, "gx"), name + " gx", rtol, atol);
  compare_parameters(name, "grad", params, /*gradients=*/true, rtol, atol);

  if (training) {
    const auto x2 = load_batch<Shape<C, H, W>, T>(name, "x2");
    layer.forward(x2);
    require_close(layer.running_mean(), load_fixture(name, "after2.running_mean"),
                  name + " running_mean after two forwards", rtol, atol);
    require_close(layer.running_var(), load_fixture(name, "after2.running_var"),
                  name + " running_var after two forwards", rtol, atol);
    CHECK(layer.num_batches_tracked() == 2);
  }
}

TEST_CASE("BatchNorm2d matches PyTorch in training and evaluation mode", "[golden][batch_norm]") {
  check_batch_norm_case<float, 3, 5, 4>("batchnorm_train", true);
  check_batch_norm_case<double, 3, 5, 4>("batchnorm_train", true);
  check_batch_norm_case<float, 4, 3, 5>("batchnorm_eval", false);
  check_batch_norm_case<double, 4, 3, 5>("batchnorm_eval", false);
}

/// require_close, for values that may be NaN or infinite (max pooling passes them on): where
/// the fixture has a NaN ctnn must have a NaN, where it has an infinity the same infinity.
template <class Values>
void require_close_nonfinite(const Values& got_values, const xt::xarray<float>& want,
                             const std::string& what, double rtol, double atol) {
  INFO(what << ": " << std::size(got_values) << " values computed, " << want.size()
            << " in the fixture");
  REQUIRE(std::size(got_values) == want.size());
  const auto* got = std::data(got_values);
  std::size_t bad = 0, first_bad = want.size();
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want.data()[i];
    const bool ok = std::isnan(w)   ? std::isnan(g)
                    : std::isinf(w) ? g == w
                                    : std::abs(g - w) <= atol + rtol * std::abs(w);
    if (!ok && bad++ == 0) first_bad = i;
  }
  INFO(what << ": " << bad << " of " << want.size() << " elements differ; the first at "
            << first_bad << ": got " << (bad ? double(got[first_bad]) : 0.0) << ", want "
            << (bad ? double(want.data()[first_bad]) : 0.0));
  CHECK(bad == 0);
}

/// A case of a parameterless layer (MaxPool2d, LeakyReLU) in scalar type T: y, then gx. In float
/// the tolerance of the other layers. In double ctnn computes what PyTorch computed in float64,
/// so it must agree to the fixtures' rounding to float32: at most 2^-24 relative (rtol 2^-23
/// leaves the other half to double's own error); among float32's subnormals, where rounding
/// is absolute, at most half a step (atol one step, 2^-149).
template <class Spec, int C, int H, int W, class T>
void check_parameterless_case(const std::string& name) {
  constexpr bool is_double = std::is_same_v<T, double>;
  INFO("golden case " << name << (is_double ? " (double)" : " (float)"));
  const double rtol = is_double ? 0x1p-23 : 1e-5, atol = is_double ? 0x1p-149 : 1e-6;
  using L = typename Spec::template bind<Shape<C, H, W>, T>;
  Rng rng{0};
  L layer(rng);
  ParameterList<T> params;
  layer.collect_parameters(params, "");
  REQUIRE(params.empty());

  const auto x = load_batch<typename L::input_shape, T>(name, "x");
  const auto& y = layer.forward(x);
  require_close_nonfinite(y, load_fixture(name, "y"), name + " y", rtol, atol);
  const auto gy = load_batch<typename L::output_shape, T>(name, "gy");
  const auto& gx = layer.backward(gy);
  require_close_nonfinite(gx, load_fixture(name, "gx"), name + " gx", rtol, atol);
}

template <class Spec, int C, int H, int W>
void check_parameterless_case_float_and_double(const std::string& name) {
  check_parameterless_case<Spec, C, H, W, float>(name);
  check_parameterless_case<Spec, C, H, W, double>(name);
}

TEST_CASE("MaxPool2d matches PyTorch, ties and NaN included", "[golden][max_pool2d]") {
  check_parameterless_case_float_and_double<MaxPool2d<2>, 3, 6, 7>("maxpool2");
  check_parameterless_case_float_and_double<MaxPool2d<3, 2, 1>, 2, 7, 8>("maxpool3_s2_p1");
  check_parameterless_case_float_and_double<MaxPool2d<2, 3>, 2, 8, 7>("maxpool2_s3");
  // Integer inputs 0..2: most windows hold several maxima, and overlapping windows send
  // several gradients to one element. The gradient goes where PyTorch sends it only if ties go
  // to the first maximum of the window, row by row.
  check_parameterless_case_float_and_double<MaxPool2d<3, 1, 1>, 2, 6, 7>("maxpool3_s1_p1_ties");
  check_parameterless_case_float_and_double<MaxPool2d<4, 2, 2>, 3, 9, 8>("maxpool4_s2_p2_ties");
  // NaNs (two in one window: the last one wins), +inf, and padded windows whose elements
  // inside the input are all -inf (padding is never picked: y -inf, the gradient to the
  // window's first element inside the input).
  check_parameterless_case_float_and_double<MaxPool2d<2, 1, 1>, 2, 5, 6>("maxpool2_s1_p1_nan_inf");
}

TEST_CASE("LeakyReLU matches PyTorch", "[golden][leaky_relu]") {
  // Both include inputs of exactly 0 and -0 (y 0, gradient the slope, as PyTorch's), -300 and
  // 250.
  check_parameterless_case_float_and_double<LeakyReLU<>, 3, 5, 4>("leaky_relu");
  check_parameterless_case_float_and_double<LeakyReLU<std::ratio<1, 10>>, 3, 5, 4>(
      "leaky_relu_1_10");
}
