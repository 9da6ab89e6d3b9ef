#pragma once
// Catch2 glue for ctnn's public gradient checker (ctnn/testing/gradient_check.hpp): one CHECK
// per tensor, with the checker's report on failure.

#include <cstdint>

#include <catch2/catch.hpp>

#include "ctnn/testing/gradient_check.hpp"

namespace ctnn::test {

using testing::GradientCheckOptions;

/// Checks input and parameter gradients of bound layer L (scalar double) at a random point.
template <Layer L>
void check_gradients(std::uint64_t seed, GradientCheckOptions opt = {}) {
  const auto result = testing::check_gradients<L>(seed, opt);
  REQUIRE(!result.tensors.empty());
  for (const auto& t : result.tensors) {
    INFO(t);
    CHECK(t.ok());
  }
}

}  // namespace ctnn::test
