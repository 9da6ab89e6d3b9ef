#pragma once
/// \file
/// Compile-time per-sample shapes: `Shape<C, H, W>` and the network input marker `Input<C, H, W>`.

#include <cstddef>
#include <string>
#include <type_traits>

namespace ctnn {

/// The shape of one sample: channels x height x width. The batch size is a run-time number.
template <int C, int H, int W>
struct Shape {
  static_assert(C > 0 && H > 0 && W > 0, "Shape: channels, height and width must all be positive");
  static constexpr int channels = C;
  static constexpr int height = H;
  static constexpr int width = W;
  /// Number of values in one sample.
  static constexpr std::size_t size = std::size_t(C) * std::size_t(H) * std::size_t(W);

  /// "3x32x32", for run-time messages.
  static std::string str() {
    return std::to_string(C) + "x" + std::to_string(H) + "x" + std::to_string(W);
  }
};

template <class S>
struct is_shape : std::false_type {};
template <int C, int H, int W>
struct is_shape<Shape<C, H, W>> : std::true_type {};
/// True for `Shape<C, H, W>`.
template <class S>
concept ShapeType = is_shape<S>::value;

/// The first element of a `Sequential`: the per-sample input shape and the scalar type
/// (float by default; double is used by the gradient checks).
template <int C, int H, int W, class T = float>
struct Input {
  using shape = Shape<C, H, W>;
  using scalar_type = T;
};

template <class I>
struct is_input : std::false_type {};
template <int C, int H, int W, class T>
struct is_input<Input<C, H, W, T>> : std::true_type {};
template <class I>
inline constexpr bool is_input_v = is_input<I>::value;

}  // namespace ctnn
