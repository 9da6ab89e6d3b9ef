#pragma once
/// \file
/// Noise2Noise training pairs held as uint8 (N x 3 x H x W, as in the course's data) and served
/// as shuffled float batches in [0, 1]. Keeping uint8 in memory takes a quarter of the space;
/// the conversion happens per batch into reused buffers.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/error.hpp"
#include "ctnn/core/init.hpp"

namespace n2n {

using ctnn::Batch;
using ctnn::Rng;
using ctnn::ShapeError;
using ctnn::ShapeType;

/// Converts uint8 values to floats in [0, 1].
template <class T>
void bytes_to_unit(const std::uint8_t* in, T* out, std::size_t count) {
  constexpr T scale = T(1) / T(255);
  for (std::size_t i = 0; i < count; ++i)
    out[i] = T(in[i]) * scale;
}

/// Pairs of images (input, target) of shape S, served in batches.
template <ShapeType S>
class PairBatches {
 public:
  using images = xt::xtensor<std::uint8_t, 4>;

  /// Takes both arrays; they must hold the same number of images of shape S. `count` limits
  /// the pairs used to the first `count` (for "a fraction of the training set").
  PairBatches(images input, images target, std::size_t count = std::size_t(-1))
      : input_(std::move(input)), target_(std::move(target)) {
    check(input_, "input");
    check(target_, "target");
    if (input_.shape()[0] != target_.shape()[0])
      throw ShapeError("PairBatches: " + std::to_string(input_.shape()[0]) + " inputs but " +
                       std::to_string(target_.shape()[0]) + " targets");
    order_.resize(std::min<std::size_t>(count, input_.shape()[0]));
    std::iota(order_.begin(), order_.end(), std::size_t(0));
  }

  std::size_t size() const { return order_.size(); }
  std::size_t batches(std::size_t batch_size) const {
    return (size() + batch_size - 1) / batch_size;
  }

  /// A new random order: Fisher-Yates from the identity with ctnn's portable Rng, so the order
  /// depends only on the Rng's state (a resumed run recreates it) and is the same everywhere.
  void shuffle(Rng& rng) {
    std::iota(order_.begin(), order_.end(), std::size_t(0));
    for (std::size_t i = order_.size(); i > 1; --i) {
      const std::size_t j = std::size_t(rng.next_u64() % i);
      std::swap(order_[i - 1], order_[j]);
    }
  }
  const std::vector<std::size_t>& order() const { return order_; }

  /// The number of pairs in batch number `b` (the last batch may be smaller).
  std::size_t batch_count(std::size_t b, std::size_t batch_size) const {
    const std::size_t first = b * batch_size;
    return first < size() ? std::min(batch_size, size() - first) : 0;
  }

  /// Fills x and t with batch number `b` (the last batch may be smaller).
  template <class T>
  void fill(std::size_t b, std::size_t batch_size, Batch<S, T>& x, Batch<S, T>& t) const {
    fill(b, batch_size, 0, batch_count(b, batch_size), x, t);
  }

  /// Fills x and t with pairs [part_first, part_first + part_count) of batch number `b`: one
  /// rank's shard of a global batch, in a data-parallel run.
  template <class T>
  void fill(std::size_t b, std::size_t batch_size, std::size_t part_first, std::size_t part_count,
            Batch<S, T>& x, Batch<S, T>& t) const {
    if (part_first + part_count > batch_count(b, batch_size))
      throw std::out_of_range("PairBatches::fill: pairs " + std::to_string(part_first) + "-" +
                              std::to_string(part_first + part_count) + " of batch " +
                              std::to_string(b) + ", which holds " +
                              std::to_string(batch_count(b, batch_size)));
    const std::size_t first = b * batch_size + part_first;
    const std::size_t n = part_count;
    x.resize(n);
    t.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = order_[first + i];
      bytes_to_unit(input_.data() + k * S::size, x.sample(i), S::size);
      bytes_to_unit(target_.data() + k * S::size, t.sample(i), S::size);
    }
  }

  const images& input() const { return input_; }
  const images& target() const { return target_; }

 private:
  static void check(const images& a, const std::string& which) {
    const auto& s = a.shape();
    if (s[1] != std::size_t(S::channels) || s[2] != std::size_t(S::height) ||
        s[3] != std::size_t(S::width))
      throw ShapeError("PairBatches: " + which + " images are " + std::to_string(s[1]) + "x" +
                       std::to_string(s[2]) + "x" + std::to_string(s[3]) + ", expected " +
                       S::str());
  }

  images input_, target_;
  std::vector<std::size_t> order_;
};

}  // namespace n2n
