#pragma once
// Helpers of the conv kernel tests (test_kernels_conv, test_kernels_scalar, test_winograd):
// reproducible random operands and the error measure the stated bounds are written in.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "ctnn/kernels/conv_geometry.hpp"

namespace conv_check {

/// n uniform values in [-1, 1), the same for the same seed.
inline std::vector<float> random_vec(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& e : v)
    e = u(rng);
  return v;
}

inline std::vector<double> to_double(const std::vector<float>& v) {
  return {v.begin(), v.end()};
}

/// Max |got - ref| relative to the largest |ref| (at least 1); infinite if got is not finite.
inline double rel_err(const std::vector<float>& got, const std::vector<double>& ref) {
  REQUIRE(got.size() == ref.size());
  double scale = 1, err = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    scale = std::max(scale, std::abs(ref[i]));
    err = std::max(err, std::abs(double(got[i]) - ref[i]));
  }
  return err / scale;
}

/// The geometry of a conv with these arguments on h x w.
constexpr ctnn::kernels::ConvGeometry conv(int ci, int co, int k, int s, int p, int d, int h,
                                           int w) {
  return {ci,
          co,
          k,
          s,
          p,
          d,
          h,
          w,
          ctnn::kernels::conv_out_size(h, k, s, p, d),
          ctnn::kernels::conv_out_size(w, k, s, p, d)};
}
/// The geometry a ConvTranspose2d<ci, co, k, s, p, op, d> on h x w uses.
constexpr ctnn::kernels::ConvGeometry conv_t(int ci, int co, int k, int s, int p, int op, int d,
                                             int h, int w) {
  return {co,
          ci,
          k,
          s,
          p,
          d,
          ctnn::kernels::conv_transpose_out_size(h, k, s, p, op, d),
          ctnn::kernels::conv_transpose_out_size(w, k, s, p, op, d),
          h,
          w};
}

}  // namespace conv_check
