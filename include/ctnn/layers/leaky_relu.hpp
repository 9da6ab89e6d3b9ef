#pragma once
/// \file
/// `LeakyReLU<Slope = std::ratio<1, 100>>`: x for x > 0, else Slope * x, element-wise; PyTorch's
/// nn.LeakyReLU(negative_slope). The slope is a std::ratio, because clang++ 14 takes no
/// floating-point template arguments: `LeakyReLU<>` is nn.LeakyReLU() (0.01),
/// `LeakyReLU<std::ratio<1, 10>>` nn.LeakyReLU(0.1). Any shape; output shape = input shape.

#include <cstddef>
#include <cstdint>
#include <ratio>
#include <string>

#include "ctnn/core/init.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/activations.hpp"
#include "ctnn/layers/detail/activation_layer.hpp"

namespace ctnn {

template <class Spec, ShapeType In, class T>
class LeakyReLULayer;

namespace detail {
/// The value of a std::ratio (num / den, reduced); `is_ratio` is false for any other type.
template <class R>
struct RatioValue {
  static constexpr bool is_ratio = false;
  static constexpr std::intmax_t num = 0, den = 1;
};
template <std::intmax_t N, std::intmax_t D>
struct RatioValue<std::ratio<N, D>> {
  static constexpr bool is_ratio = true;
  static constexpr std::intmax_t num = std::ratio<N, D>::num, den = std::ratio<N, D>::den;
};
}  // namespace detail

namespace diagnose {
/// The check of LeakyReLU's argument.
template <class Slope>
struct LeakyReLUArguments {
  static_assert(detail::RatioValue<Slope>::is_ratio,
                "LeakyReLU<Slope>: Slope (the negative slope) must be a std::ratio, e.g. "
                "LeakyReLU<std::ratio<1, 10>> for PyTorch's nn.LeakyReLU(0.1)");
};
}  // namespace diagnose

/// y = x for x > 0, else (Slope::num / Slope::den) x. The gradient at exactly 0 is the slope,
/// as PyTorch's. Any slope, as in PyTorch (0.01 by default).
template <class Slope = std::ratio<1, 100>>
struct LeakyReLU {
  static_assert(sizeof(diagnose::LeakyReLUArguments<Slope>) > 0);
  static constexpr std::intmax_t slope_num = detail::RatioValue<Slope>::num;
  static constexpr std::intmax_t slope_den = detail::RatioValue<Slope>::den;
  /// PyTorch's negative_slope: the double nearest num / den (as Python's 0.1 is).
  static constexpr double negative_slope = double(slope_num) / double(slope_den);

  /// "LeakyReLU<1/10>": the slope as a reduced fraction (recorded in checkpoints).
  static std::string name() {
    return "LeakyReLU<" + std::to_string(slope_num) + "/" + std::to_string(slope_den) + ">";
  }
  template <ShapeType In, class T = float>
  using bind = LeakyReLULayer<LeakyReLU, In, T>;
};

template <class Spec, ShapeType In, class T>
class LeakyReLULayer : public detail::ActivationLayer<LeakyReLULayer<Spec, In, T>, Spec, In, T> {
 public:
  using detail::ActivationLayer<LeakyReLULayer, Spec, In, T>::ActivationLayer;

  /// The slope in T, rounded from the double as PyTorch rounds negative_slope for float.
  static constexpr T slope = T(Spec::negative_slope);

  static void forward_kernel(const T* x, T* y, std::size_t count) {
    kernels::leaky_relu_forward(x, y, count, slope);
  }
  /// From the forward input: dx = dy where x > 0, else slope * dy.
  static void backward_kernel(const T* x, const T*, const T* dy, T* dx, std::size_t count) {
    kernels::leaky_relu_backward(x, dy, dx, count, slope);
  }
};

}  // namespace ctnn
