// Finite-difference gradient checks, in double precision, for every block on varied shapes.

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "gradient_check.hpp"

using namespace ctnn;
using test::check_gradients;
using test::GradientCheckOptions;

template <class Spec, class In>
using Bound = typename Spec::template bind<In, double>;

TEST_CASE("Conv2d gradients", "[gradient][conv2d]") {
  check_gradients<Bound<Conv2d<2, 3, 3>, Shape<2, 6, 7>>>(1);
  check_gradients<Bound<Conv2d<3, 2, 3, 2, 1>, Shape<3, 7, 6>>>(2);
  check_gradients<Bound<Conv2d<2, 2, 3, 1, 2, 2>, Shape<2, 5, 5>>>(3);
  check_gradients<Bound<Conv2d<1, 4, 1>, Shape<1, 3, 4>>>(4, {.batch = 1});
  check_gradients<Bound<Conv2d<3, 3, 5, 3, 2>, Shape<3, 9, 11>>>(5, {.batch = 3});
  check_gradients<Bound<Conv2d<2, 3, 2, 2, 0, 1>, Shape<2, 5, 8>>>(6);
}

TEST_CASE("ConvTranspose2d gradients", "[gradient][conv_transpose2d]") {
  check_gradients<Bound<ConvTranspose2d<2, 3, 3>, Shape<2, 4, 5>>>(11);
  check_gradients<Bound<ConvTranspose2d<3, 2, 3, 2, 1, 1>, Shape<3, 4, 3>>>(12);
  check_gradients<Bound<ConvTranspose2d<2, 2, 3, 1, 1, 0, 2>, Shape<2, 5, 4>>>(13);
  check_gradients<Bound<ConvTranspose2d<2, 3, 4, 2, 1>, Shape<2, 3, 3>>>(14, {.batch = 1});
  check_gradients<Bound<ConvTranspose2d<3, 1, 1, 3>, Shape<3, 2, 3>>>(15, {.batch = 3});
  check_gradients<Bound<ConvTranspose2d<2, 2, 3, 3, 0, 2>, Shape<2, 3, 2>>>(16);
}

TEST_CASE("Upsample gradients", "[gradient][upsample]") {
  check_gradients<Bound<Upsample<2>, Shape<3, 4, 5>>>(21);
  check_gradients<Bound<Upsample<3>, Shape<2, 3, 2>>>(22, {.batch = 1});
  check_gradients<Bound<Upsample<1>, Shape<1, 3, 3>>>(23);
}

TEST_CASE("ReLU gradients", "[gradient][relu]") {
  // Inputs are kept away from the kink at 0, where the derivative does not exist.
  check_gradients<Bound<ReLU, Shape<3, 5, 4>>>(31, {.min_abs_input = 1e-3});
  check_gradients<Bound<ReLU, Shape<1, 7, 1>>>(32, {.batch = 3, .min_abs_input = 1e-3});
}

TEST_CASE("Sigmoid gradients", "[gradient][sigmoid]") {
  check_gradients<Bound<Sigmoid, Shape<3, 5, 4>>>(41);
  check_gradients<Bound<Sigmoid, Shape<2, 2, 9>>>(42, {.batch = 1});
}

TEST_CASE("SkipConcat gradients", "[gradient][skip_concat]") {
  check_gradients<Bound<SkipConcat<Conv2d<2, 3, 3, 1, 1>, Sigmoid>, Shape<2, 5, 6>>>(51);
  check_gradients<
      Bound<SkipConcat<Conv2d<3, 4, 3>, Sigmoid, ConvTranspose2d<4, 2, 3>>, Shape<3, 6, 5>>>(52);
  check_gradients<Bound<SkipConcat<Upsample<2>, Conv2d<1, 2, 2, 2>>, Shape<1, 4, 4>>>(53);
}

TEST_CASE("Residual and InputMinus gradients", "[gradient][residual]") {
  check_gradients<Bound<Residual<Conv2d<2, 3, 3, 1, 1>, Sigmoid, Conv2d<3, 2, 1>>, Shape<2, 5, 6>>>(
      54);
  check_gradients<Bound<InputMinus<Conv2d<3, 3, 3, 1, 1>>, Shape<3, 4, 4>>>(55, {.batch = 3});
  // Nested, with a skip inside: the shortcut's gradient and the body's add up at each level.
  check_gradients<
      Bound<Residual<Conv2d<2, 2, 1>, Residual<Conv2d<2, 2, 3, 1, 1>, Sigmoid>>, Shape<2, 5, 5>>>(
      56);
}

TEST_CASE("Chains of layers (a whole net) have correct gradients", "[gradient][sequential]") {
  using Net = Chain<Shape<3, 12, 12>, double, Conv2d<3, 4, 3>, Sigmoid,
                    SkipConcat<Conv2d<4, 4, 3, 1, 1>, Sigmoid, ConvTranspose2d<4, 3, 3, 1, 1>>,
                    ConvTranspose2d<7, 3, 3>, Sigmoid>;
  check_gradients<Net>(61);
  using UpNet = Chain<Shape<2, 8, 8>, double, Conv2d<2, 3, 2, 2>, Sigmoid, Upsample<2>,
                      Conv2d<3, 2, 3, 1, 1>, Sigmoid>;
  check_gradients<UpNet>(62);
}

// BatchNorm2d with gamma and beta drawn from the Rng instead of PyTorch's 1 and 0, so that a
// gradient missing a factor gamma, or ignoring beta, shows.
template <int C, ShapeType In, class T>
struct RandomAffineBatchNorm2dLayer : BatchNorm2dLayer<C, In, T> {
  explicit RandomAffineBatchNorm2dLayer(Rng& rng) : BatchNorm2dLayer<C, In, T>(rng) {
    for (auto& g : this->weight())
      g = T(rng.uniform(0.5, 1.5));
    for (auto& b : this->bias())
      b = T(rng.uniform(-0.5, 0.5));
  }
};
template <int C>
struct RandomAffineBatchNorm2d {
  template <ShapeType In, class T = float>
  using bind = RandomAffineBatchNorm2dLayer<C, In, T>;
};

// BatchNorm2d in evaluation mode, with running statistics drawn from the Rng (not PyTorch's 0 and
// 1): the layer is then a per-channel affine map, and its gradients must use the running
// statistics, not the batch's.
template <int C, ShapeType In, class T>
struct EvalBatchNorm2dLayer : RandomAffineBatchNorm2dLayer<C, In, T> {
  explicit EvalBatchNorm2dLayer(Rng& rng) : RandomAffineBatchNorm2dLayer<C, In, T>(rng) {
    for (auto& m : this->running_mean())
      m = T(rng.uniform(-0.5, 0.5));
    for (auto& v : this->running_var())
      v = T(rng.uniform(0.25, 2.0));
    this->set_training(false);
  }
};
template <int C>
struct EvalBatchNorm2d {
  template <ShapeType In, class T = float>
  using bind = EvalBatchNorm2dLayer<C, In, T>;
};

TEST_CASE("BatchNorm2d gradients (training mode: through the batch statistics)",
          "[gradient][batch_norm]") {
  check_gradients<Bound<BatchNorm2d<3>, Shape<3, 4, 5>>>(71);
  check_gradients<Bound<RandomAffineBatchNorm2d<3>, Shape<3, 4, 5>>>(72);
  check_gradients<Bound<RandomAffineBatchNorm2d<2>, Shape<2, 3, 3>>>(73, {.batch = 4});
  // Batch size 1: the statistics are over one sample's positions.
  check_gradients<Bound<RandomAffineBatchNorm2d<4>, Shape<4, 2, 3>>>(74, {.batch = 1});
  // In a chain, with a conv before it and a nonlinearity after it (sum(y * g) of a batch-norm
  // output alone is linear in gamma and beta).
  check_gradients<Chain<Shape<2, 6, 6>, double, Conv2d<2, 3, 3, 1, 1>, RandomAffineBatchNorm2d<3>,
                        Sigmoid, Conv2d<3, 2, 3>>>(75);
  check_gradients<Bound<SkipConcat<Conv2d<2, 3, 3, 1, 1>, RandomAffineBatchNorm2d<3>, Sigmoid>,
                        Shape<2, 5, 5>>>(76);
}

TEST_CASE("BatchNorm2d gradients (evaluation mode: through the running statistics)",
          "[gradient][batch_norm]") {
  check_gradients<Bound<EvalBatchNorm2d<3>, Shape<3, 4, 5>>>(77);
  check_gradients<Bound<EvalBatchNorm2d<2>, Shape<2, 3, 3>>>(78, {.batch = 1});
  // After a conv and before a nonlinearity, so that the parameter gradients are not linear.
  check_gradients<Chain<Shape<2, 6, 6>, double, Conv2d<2, 3, 3, 1, 1>, EvalBatchNorm2d<3>, Sigmoid,
                        Conv2d<3, 2, 3>>>(79);
}

TEST_CASE("MaxPool2d gradients", "[gradient][max_pool2d]") {
  // Random normal inputs: no two elements of a window within the step h of each other, where
  // the derivative jumps.
  check_gradients<Bound<MaxPool2d<2>, Shape<3, 6, 8>>>(71);
  check_gradients<Bound<MaxPool2d<3, 2, 1>, Shape<2, 7, 6>>>(72, {.batch = 3});
  // Overlapping windows (Stride < K), and gaps between windows (Stride > K).
  check_gradients<Bound<MaxPool2d<3, 1, 1>, Shape<2, 5, 5>>>(73);
  check_gradients<Bound<MaxPool2d<2, 3>, Shape<1, 8, 7>>>(74, {.batch = 1});
  check_gradients<Bound<MaxPool2d<4, 2, 2>, Shape<2, 6, 5>>>(75);
}

TEST_CASE("LeakyReLU gradients", "[gradient][leaky_relu]") {
  // Inputs are kept away from the kink at 0, where the derivative does not exist.
  check_gradients<Bound<LeakyReLU<>, Shape<3, 5, 4>>>(81, {.min_abs_input = 1e-3});
  check_gradients<Bound<LeakyReLU<std::ratio<1, 10>>, Shape<1, 7, 1>>>(
      82, {.batch = 3, .min_abs_input = 1e-3});
}

TEST_CASE("A chain with LeakyReLU and MaxPool2d has correct gradients", "[gradient][max_pool2d]") {
  check_gradients<Chain<Shape<2, 8, 8>, double, Conv2d<2, 3, 3, 1, 1>, LeakyReLU<std::ratio<1, 10>>,
                        MaxPool2d<3, 2, 1>, Conv2d<3, 2, 3, 1, 1>, Sigmoid>>(83);
}
