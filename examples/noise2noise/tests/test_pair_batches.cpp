// PairBatches: shapes, conversion to [0, 1], deterministic shuffling that is a permutation.

#include <algorithm>
#include <set>

#include <catch2/catch.hpp>

#include "pair_batches.hpp"

using namespace ctnn;
using namespace n2n;
using S = Shape<3, 2, 2>;

static xt::xtensor<std::uint8_t, 4> images(std::size_t n, std::uint8_t offset) {
  xt::xtensor<std::uint8_t, 4> a(std::array<std::size_t, 4>{n, 3, 2, 2});
  for (std::size_t i = 0; i < a.size(); ++i)
    a.data()[i] = std::uint8_t((i / S::size) * 10 + offset);
  return a;
}

TEST_CASE("PairBatches serves pairs as floats in [0, 1]", "[data]") {
  PairBatches<S> pairs(images(5, 0), images(5, 1));
  CHECK(pairs.size() == 5);
  CHECK(pairs.batches(2) == 3);
  Batch<S> x, t;
  pairs.fill(2, 2, x, t);  // the last, partial batch: image 4 only
  CHECK(x.batch_size() == 1);
  CHECK(x.data()[0] == Approx(40 / 255.0));
  CHECK(t.data()[0] == Approx(41 / 255.0));
}

TEST_CASE("Shuffling is a deterministic permutation that keeps pairs together", "[data]") {
  PairBatches<S> a(images(50, 0), images(50, 1)), b(images(50, 0), images(50, 1));
  Rng r1{9}, r2{9};
  a.shuffle(r1);
  b.shuffle(r2);
  CHECK(a.order() == b.order());
  std::set<std::size_t> seen(a.order().begin(), a.order().end());
  CHECK(seen.size() == 50);
  CHECK(a.order() != std::vector<std::size_t>(b.order().rbegin(), b.order().rend()));
  Batch<S> x, t;
  a.fill(0, 10, x, t);
  for (std::size_t i = 0; i < 10; ++i)  // target = input + 1 for every pair
    CHECK(t.sample(i)[0] * 255.0f == Approx(x.sample(i)[0] * 255.0f + 1.0f));
}

TEST_CASE("PairBatches refuses mismatched arrays", "[data][errors]") {
  CHECK_THROWS_WITH(PairBatches<S>(images(5, 0), images(4, 0)), Catch::Contains("5 inputs but 4"));
  xt::xtensor<std::uint8_t, 4> wrong(std::array<std::size_t, 4>{5, 1, 2, 2});
  CHECK_THROWS_WITH(PairBatches<S>(wrong, images(5, 0)), Catch::Contains("1x2x2, expected 3x2x2"));
  PairBatches<S> part(images(10, 0), images(10, 0), 3);
  CHECK(part.size() == 3);
}
