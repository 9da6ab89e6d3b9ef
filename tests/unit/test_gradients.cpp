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

TEST_CASE("Chains of layers (a whole net) have correct gradients", "[gradient][sequential]") {
  using Net = Chain<Shape<3, 12, 12>, double, Conv2d<3, 4, 3>, Sigmoid,
                    SkipConcat<Conv2d<4, 4, 3, 1, 1>, Sigmoid, ConvTranspose2d<4, 3, 3, 1, 1>>,
                    ConvTranspose2d<7, 3, 3>, Sigmoid>;
  check_gradients<Net>(61);
  using UpNet = Chain<Shape<2, 8, 8>, double, Conv2d<2, 3, 2, 2>, Sigmoid, Upsample<2>,
                      Conv2d<3, 2, 3, 1, 1>, Sigmoid>;
  check_gradients<UpNet>(62);
}
