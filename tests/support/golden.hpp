#pragma once
// Helpers for the golden tests: load PyTorch fixtures (tools/pytorch/make_golden.py) and compare.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <iterator>
#include <span>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <xtensor/xarray.hpp>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/io/npy.hpp"

namespace ctnn::test {

inline std::filesystem::path golden_dir(const std::string& case_name) {
  return std::filesystem::path(CTNN_TEST_DATA_DIR) / "golden" / case_name;
}

inline xt::xarray<float> load_fixture(const std::string& case_name, const std::string& file) {
  return io::load_npy<float>(golden_dir(case_name) / (file + ".npy"));
}

/// A batch filled from a fixture; fails the test if the fixture's shape differs.
template <class S, class T = float>
Batch<S, T> load_batch(const std::string& case_name, const std::string& file) {
  const auto a = load_fixture(case_name, file);
  REQUIRE(a.dimension() == 4);
  Batch<S, T> b(a.shape()[0]);
  REQUIRE(a.size() == b.size());
  std::copy(a.begin(), a.end(), b.data());
  return b;
}

/// Compares within |got - want| <= atol + rtol |want| (numpy.allclose), reporting the worst
/// element. `got` is anything with data() and size() (a Batch, an xtensor, a std::span): the two
/// must hold the same number of values, or the comparison of a prefix would pass unnoticed.
template <class Values>
void require_close(const Values& got_values, const xt::xarray<float>& want, const std::string& what,
                   double rtol = 1e-5, double atol = 1e-6) {
  INFO(what << ": " << std::size(got_values) << " values computed, " << want.size()
            << " in the fixture");
  REQUIRE(std::size(got_values) == want.size());
  const auto* got = std::data(got_values);
  std::size_t worst = 0, bad = 0;
  double worst_excess = -1;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want.data()[i];
    const double excess = std::abs(g - w) - (atol + rtol * std::abs(w));
    if (!(excess <= 0)) ++bad;
    if (!(excess <= worst_excess)) {
      worst_excess = excess;
      worst = i;
    }
  }
  INFO(what << ": " << bad << " of " << want.size() << " elements out of tolerance; worst at "
            << worst << ": got " << got[worst] << ", want " << want.data()[worst]);
  CHECK(bad == 0);
}

/// Loads `<prefix>.<name>.npy` into every parameter, checking shapes.
template <class T>
void load_parameters(const std::string& case_name, const std::string& prefix,
                     ParameterList<T>& params) {
  for (auto& p : params) {
    const auto a = load_fixture(case_name, prefix + "." + p.name);
    INFO("parameter " << p.name);
    REQUIRE(std::vector<std::size_t>(a.shape().begin(), a.shape().end()) == p.shape);
    std::copy(a.begin(), a.end(), p.value);
  }
}

/// Compares every parameter's values (field = value) or gradients (field = grad) with
/// `<prefix>.<name>.npy`.
template <class T>
void compare_parameters(const std::string& case_name, const std::string& prefix,
                        const ParameterList<T>& params, bool gradients, double rtol = 1e-5,
                        double atol = 1e-6) {
  for (const auto& p : params) {
    const auto want = load_fixture(case_name, prefix + "." + p.name);
    require_close(std::span<const T>(gradients ? p.grad : p.value, p.size), want,
                  case_name + " " + prefix + "." + p.name, rtol, atol);
  }
}

}  // namespace ctnn::test
