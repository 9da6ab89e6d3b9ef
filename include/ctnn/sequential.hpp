#pragma once
/// \file
/// `Sequential<Input<C, H, W>, Layers...>`: a network as a type. Each layer is bound to the
/// output shape of the one before, so a net whose layers do not fit does not compile.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>

#include <xtensor/xtensor.hpp>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/chain.hpp"
#include "ctnn/core/error.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/initialization.hpp"
#include "ctnn/core/shape.hpp"

namespace ctnn {

namespace diagnose {
/// Sequential's check of its first type `I`.
template <class I>
struct SequentialInput {
  static_assert(is_input_v<I>,
                "Sequential: the first type must be Input<C, H, W> (the shape of one input "
                "sample), e.g. Sequential<Input<3, 32, 32>, Conv2d<3, 16, 3>, ReLU>");
};
}  // namespace diagnose

namespace detail {
template <class I>
struct InputTraits {
  // A struct of its own (see diagnose:: in core/layer.hpp): InputTraits stays usable if it fails.
  static_assert(sizeof(diagnose::SequentialInput<I>) > 0);
  using shape = Shape<1, 1, 1>;
  using scalar_type = float;
};
template <int C, int H, int W, class T>
struct InputTraits<Input<C, H, W, T>> {
  using shape = Shape<C, H, W>;
  using scalar_type = T;
};
}  // namespace detail

template <class InputSpec, class... Specs>
class Sequential : public Chain<typename detail::InputTraits<InputSpec>::shape,
                                typename detail::InputTraits<InputSpec>::scalar_type, Specs...> {
  using base = Chain<typename detail::InputTraits<InputSpec>::shape,
                     typename detail::InputTraits<InputSpec>::scalar_type, Specs...>;

 public:
  using typename base::input_shape;
  using typename base::output_shape;
  using typename base::scalar_type;
  using T = scalar_type;

  /// Initialises every layer as PyTorch does by default, from this seed, deterministically.
  explicit Sequential(Seed seed) : Sequential(Rng{seed}) {}
  explicit Sequential(Rng rng) : base(rng) {}
  /// Initialises as `init` says: Init::pytorch_default as Sequential(seed); Init::kaiming_normal
  /// then redraws every conv weight from N(0, 2 / fan_in) (the last from N(0, 1 / fan_in)) and
  /// zeroes their biases (init_kaiming_normal), from a stream of its own.
  Sequential(Seed seed, Init init) : Sequential(seed) {
    if (init == Init::kaiming_normal) {
      Rng rng = kaiming_rng(seed);
      init_kaiming_normal(this->parameters(), rng);
    }
  }

  /// The architecture in canonical form, e.g. "Sequential<Input<3,32,32>,Conv2d<3,32,3,1,0,1>,
  /// ReLU,...>": checkpoints record it so a checkpoint never loads into another architecture.
  static std::string name() {
    return "Sequential<Input<" +
           detail::join_ints({input_shape::channels, input_shape::height, input_shape::width}) +
           ">," + detail::join_names<Specs...>() + ">";
  }

  /// Training mode, the default (as PyTorch's): BatchNorm2d normalises with the batch's
  /// statistics and updates its running statistics.
  void train() { set_training(true); }
  /// Evaluation mode: BatchNorm2d normalises with its running statistics and changes nothing.
  /// Layers without a mode behave the same in both.
  void eval() { set_training(false); }
  bool is_training() const { return training_; }
  /// train() for true, eval() for false; passed to every layer that has a mode.
  void set_training(bool on) {
    training_ = on;
    base::set_training(on);
  }

  using base::forward;
  /// Forward on a plain N x C x H x W tensor: throws ShapeError naming both shapes if the
  /// per-sample shape is not input_shape, and InputError naming the first NaN or infinite
  /// value. Copies into a buffer reused across calls. (forward(const Batch&), the training
  /// path, checks nothing at run time.)
  const Batch<output_shape, T>& forward(const xt::xtensor<T, 4>& x) {
    Batch<input_shape, T>::check_shape(x, "Sequential::forward");
    check_finite(x, "Sequential::forward");
    input_.resize(x.shape()[0]);
    std::copy(x.data(), x.data() + x.size(), input_.data());
    return base::forward(input_);
  }

 private:
  /// Throws InputError naming the first element of x that is NaN or infinite.
  static void check_finite(const xt::xtensor<T, 4>& x, const std::string& who) {
    const T* p = x.data();
    const std::size_t n = x.size();
    std::size_t i = 0;
    while (i < n && std::isfinite(p[i]))
      ++i;
    if (i == n) return;
    const auto& s = x.shape();
    const std::size_t w = i % s[3], h = i / s[3] % s[2], c = i / (s[3] * s[2]) % s[1],
                      b = i / (s[3] * s[2] * s[1]);
    throw InputError(who + ": input[" + std::to_string(b) + ", " + std::to_string(c) + ", " +
                     std::to_string(h) + ", " + std::to_string(w) + "] (sample " +
                     std::to_string(b) + ", channel " + std::to_string(c) + ", row " +
                     std::to_string(h) + ", column " + std::to_string(w) + ") is " +
                     (std::isnan(p[i]) ? "NaN"
                      : p[i] > 0       ? "+infinity"
                                       : "-infinity") +
                     ": a network needs finite inputs");
  }

  Batch<input_shape, T> input_;
  bool training_ = true;
};

}  // namespace ctnn
