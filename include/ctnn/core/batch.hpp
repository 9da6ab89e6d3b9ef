#pragma once
/// \file
/// `Batch<S, T>`: a batch of samples of compile-time shape S, held in a heap-allocated
/// `xt::xtensor<T, 4>` (N x C x H x W, row-major). N is chosen at run time.

#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "ctnn/core/error.hpp"
#include "ctnn/core/shape.hpp"

namespace ctnn {

template <ShapeType S, class T = float>
class Batch {
 public:
  using shape_type = S;
  using value_type = T;
  using tensor_type = xt::xtensor<T, 4>;
  static constexpr std::size_t sample_size = S::size;

  /// An empty batch (N = 0).
  Batch() : data_(full_shape(0), T(0)) {}
  /// N zero-filled samples.
  explicit Batch(std::size_t n) : data_(full_shape(n), T(0)) {}
  /// Takes a tensor; throws ShapeError if its per-sample shape is not S.
  explicit Batch(tensor_type t) : data_(std::move(t)) { check_shape(data_, "Batch"); }

  /// Throws ShapeError naming both shapes unless `t` is N x S.
  static void check_shape(const tensor_type& t, const std::string& who) {
    const auto& s = t.shape();
    if (s[1] != std::size_t(S::channels) || s[2] != std::size_t(S::height) ||
        s[3] != std::size_t(S::width)) {
      throw ShapeError(who + ": expected samples of shape " + S::str() + " (C x H x W), got " +
                       std::to_string(s[1]) + "x" + std::to_string(s[2]) + "x" +
                       std::to_string(s[3]) + " (tensor " + std::to_string(s[0]) + "x" +
                       std::to_string(s[1]) + "x" + std::to_string(s[2]) + "x" +
                       std::to_string(s[3]) + ")");
    }
  }

  std::size_t batch_size() const noexcept { return data_.shape()[0]; }
  /// Number of values (N * C * H * W).
  std::size_t size() const noexcept { return data_.size(); }

  /// Changes N; reallocates only when N changes, so a training loop with a fixed batch
  /// size allocates once. Contents are unspecified afterwards.
  void resize(std::size_t n) {
    if (n != batch_size()) data_.resize(full_shape(n));
  }

  T* data() noexcept { return data_.data(); }
  const T* data() const noexcept { return data_.data(); }
  T* sample(std::size_t i) noexcept { return data_.data() + i * sample_size; }
  const T* sample(std::size_t i) const noexcept { return data_.data() + i * sample_size; }

  T& operator()(std::size_t n, std::size_t c, std::size_t h, std::size_t w) {
    return data_(n, c, h, w);
  }
  const T& operator()(std::size_t n, std::size_t c, std::size_t h, std::size_t w) const {
    return data_(n, c, h, w);
  }

  tensor_type& tensor() noexcept { return data_; }
  const tensor_type& tensor() const noexcept { return data_; }

 private:
  static std::array<std::size_t, 4> full_shape(std::size_t n) {
    return {n, std::size_t(S::channels), std::size_t(S::height), std::size_t(S::width)};
  }

  tensor_type data_;
};

}  // namespace ctnn
