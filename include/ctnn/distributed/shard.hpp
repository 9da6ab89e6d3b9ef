#pragma once
/// \file
/// Which samples of a global batch each rank of a data-parallel run trains on. Pure arithmetic,
/// no MPI: every rank computes every rank's share the same way.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace ctnn::distributed {

/// A contiguous range of a global batch: samples [first, first + count).
struct Shard {
  std::size_t first = 0;
  std::size_t count = 0;
  friend bool operator==(const Shard&, const Shard&) = default;
};

/// Rank `rank` of `ranks` takes a contiguous range of a global batch of n samples: every rank
/// gets n / ranks (rounded down), and the last n % ranks ranks one more. The shards are in rank
/// order, cover the batch and differ in size by at most one, the larger ones last (n = 8 on
/// 3 ranks: 2, 3, 3); when n < ranks the first ranks get none (n = 2 on 3 ranks: 0, 1, 1) and
/// contribute a zero gradient that step.
inline Shard shard_of(std::size_t n, int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw std::invalid_argument("shard_of: rank " + std::to_string(rank) + " of " +
                                std::to_string(ranks) + " ranks");
  const auto r = std::size_t(rank), p = std::size_t(ranks);
  const std::size_t base = n / p, smaller = p - n % p;  // ranks [0, smaller) get base
  const std::size_t first = r * base + (r > smaller ? r - smaller : 0);
  return {first, base + (r >= smaller ? 1 : 0)};
}

}  // namespace ctnn::distributed
