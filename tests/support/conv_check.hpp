#pragma once
// Helpers of the conv kernel tests (test_kernels_conv, test_kernels_scalar, test_winograd):
// reproducible random operands and the error measure the stated bounds are written in.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

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

}  // namespace conv_check
