// Every block against PyTorch: outputs, input gradients and parameter gradients from the
// fixtures of tools/pytorch/make_golden.py (computed by PyTorch 1.13 in float64).

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
  require_close(y.data(), load_fixture(name, "y"), name + " y");

  const auto gy = load_batch<typename L::output_shape>(name, "gy");
  layer.zero_grad();
  const auto& gx = layer.backward(gy);
  require_close(gx.data(), load_fixture(name, "gx"), name + " gx");
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
  require_close(&l, load_fixture("mse", "loss"), "mse loss");
  require_close(loss.backward().data(), load_fixture("mse", "gx"), "mse gx");
}
