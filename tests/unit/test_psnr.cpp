// PSNR both ways the course computed it, against hand-computed values.

#include <cmath>

#include <catch2/catch.hpp>

#include "ctnn/metrics/psnr.hpp"

using ctnn::PsnrAccumulator;

TEST_CASE("PSNR pooled and mean per image", "[psnr]") {
  // Image 1 is off by 0.1 everywhere: MSE 0.01 -> 20 dB. Image 2 is exact: MSE 0 -> the 1e-8
  // floor gives 80 dB. Pooled: MSE 0.005 -> 23.0103 dB. Mean of per-image: (20 + 80) / 2 = 50.
  const float a[8] = {0, 0, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f};
  const float b[8] = {0.1f, 0.1f, 0.1f, 0.1f, 0.5f, 0.5f, 0.5f, 0.5f};
  PsnrAccumulator acc;
  acc.add(a, b, 2, 4);
  const auto r = acc.result();
  CHECK(acc.images() == 2);
  CHECK(r.pooled == Approx(-10 * std::log10(0.005 + 1e-8)).epsilon(1e-6));
  CHECK(r.pooled == Approx(23.0103).epsilon(1e-5));
  CHECK(r.mean_per_image == Approx(50.0).epsilon(1e-6));
}

TEST_CASE("PSNR accumulates across batches like one call", "[psnr]") {
  const float a[6] = {0.2f, 0.4f, 0.9f, 0.0f, 1.0f, 0.3f};
  const float b[6] = {0.25f, 0.4f, 0.7f, 0.1f, 0.9f, 0.3f};
  PsnrAccumulator one, two;
  one.add(a, b, 3, 2);
  two.add(a, b, 1, 2);
  two.add(a + 2, b + 2, 2, 2);
  CHECK(one.result().pooled == Approx(two.result().pooled));
  CHECK(one.result().mean_per_image == Approx(two.result().mean_per_image));
  // uint8-style inputs work too
  const double x[2] = {1.0, 0.0}, y[2] = {0.0, 0.0};
  PsnrAccumulator d;
  d.add(x, y, 1, 2);  // MSE 0.5 -> 3.0103 dB
  CHECK(d.result().pooled == Approx(3.0103).epsilon(1e-4));
}
