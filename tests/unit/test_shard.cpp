// Which samples of a global batch each rank trains on (ctnn/distributed/shard.hpp): no MPI.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>

#include "ctnn/distributed/shard.hpp"

using ctnn::distributed::Shard;
using ctnn::distributed::shard_of;

TEST_CASE("shards cover a batch in rank order, without overlap, within one of each other") {
  for (std::size_t n = 0; n <= 40; ++n)
    for (int ranks = 1; ranks <= 9; ++ranks) {
      std::size_t next = 0, smallest = n, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        const Shard s = shard_of(n, r, ranks);
        INFO("n " << n << ", rank " << r << " of " << ranks);
        CHECK(s.first == next);
        next = s.first + s.count;
        smallest = std::min(smallest, s.count);
        largest = std::max(largest, s.count);
        // The lower ranks get the smaller shares.
        if (r > 0) CHECK(shard_of(n, r - 1, ranks).count <= s.count);
      }
      CHECK(next == n);
      CHECK(largest - smallest <= 1);
    }
}

TEST_CASE("the stated examples: 8 on 3 ranks is 2, 3, 3; 2 on 3 ranks leaves rank 0 none") {
  CHECK(shard_of(8, 0, 3) == Shard{0, 2});
  CHECK(shard_of(8, 1, 3) == Shard{2, 3});
  CHECK(shard_of(8, 2, 3) == Shard{5, 3});
  CHECK(shard_of(2, 0, 3).count == 0);
  CHECK(shard_of(8, 0, 1) == Shard{0, 8});
}

TEST_CASE("shard_of rejects a rank outside the group") {
  CHECK_THROWS_AS(shard_of(8, 3, 3), std::invalid_argument);
  CHECK_THROWS_AS(shard_of(8, -1, 3), std::invalid_argument);
  CHECK_THROWS_AS(shard_of(8, 0, 0), std::invalid_argument);
}
