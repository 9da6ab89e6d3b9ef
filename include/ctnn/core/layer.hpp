#pragma once
/// \file
/// What a layer is. A layer is written in two parts:
///  - a *spec*, the type users put in a `Sequential` (`Conv2d<3, 32, 3>`, `ReLU`), with a member
///    template `bind<In, T>` that gives the concrete layer for input shape In and scalar T;
///  - the *bound layer*, which satisfies `Layer` below.
/// docs/writing-a-layer.md walks through a complete example.

#include <concepts>
#include <initializer_list>
#include <string>
#include <type_traits>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"

namespace ctnn {

namespace detail {
inline std::string join_ints(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) {
    if (!s.empty()) s += ',';
    s += std::to_string(v);
  }
  return s;
}
/// "A,B,C" from the specs' name(); a spec without name() is shown as "?".
template <class... Specs>
std::string join_names() {
  std::string s;
  auto append = [&s](const std::string& name) {
    if (!s.empty()) s += ',';
    s += name;
  };
  (append([] {
     if constexpr (requires { Specs::name(); })
       return std::string(Specs::name());
     else
       return std::string("?");
   }()),
   ...);
  return s;
}
}  // namespace detail

/// \name The requirements of a bound layer, one concept each
/// `Layer` is their conjunction. They are separate so that `Sequential` can say which one a
/// layer misses (diagnose::LayerRequirements) instead of printing the whole concept.
///@{

/// Declares `input_shape` and `output_shape` (both `Shape<C, H, W>`) and `scalar_type`.
template <class L>
concept LayerHasShapes = requires {
  typename L::input_shape;
  typename L::output_shape;
  typename L::scalar_type;
  requires ShapeType<typename L::input_shape>;
  requires ShapeType<typename L::output_shape>;
};

/// Constructible from the network's `Rng&`, from which it draws its initial weights (layers
/// are constructed, and draw, first layer first).
template <class L>
concept LayerConstructibleFromRng = std::constructible_from<L, Rng&>;

/// `const Batch<output_shape, T>& forward(const Batch<input_shape, T>& x)`: returns a buffer
/// the layer owns (valid until the next forward) and remembers `x` for backward.
template <class L>
concept LayerHasForward = LayerHasShapes<L> &&
    requires(L& layer, const Batch<typename L::input_shape, typename L::scalar_type>& x) {
  {
    layer.forward(x)
    } -> std::same_as<const Batch<typename L::output_shape, typename L::scalar_type>&>;
};

/// `const Batch<input_shape, T>& backward(const Batch<output_shape, T>& dy)`: accumulates the
/// parameters' gradients (like PyTorch's .grad) and returns the gradient w.r.t. the input.
template <class L>
concept LayerHasBackward = LayerHasShapes<L> &&
    requires(L& layer, const Batch<typename L::output_shape, typename L::scalar_type>& dy) {
  {
    layer.backward(dy)
    } -> std::same_as<const Batch<typename L::input_shape, typename L::scalar_type>&>;
};

/// `zero_grad()`: sets the parameters' gradients to zero.
template <class L>
concept LayerHasZeroGrad = requires(L& layer) {
  layer.zero_grad();
};

/// `collect_parameters(ParameterList<T>& out, const std::string& prefix)`: appends a
/// `ParameterRef` per trainable tensor, named prefix + PyTorch's name ("weight", "bias").
template <class L>
concept LayerHasParameters = LayerHasShapes<L> &&
    requires(L& layer, ParameterList<typename L::scalar_type>& params, const std::string& prefix) {
  layer.collect_parameters(params, prefix);
};
///@}

/// A bound layer: fixed input and output shapes, forward and backward over batches.
/// forward returns a reference to a buffer the layer owns (valid until the next forward) and
/// remembers the input for backward, so the input must outlive the backward call. backward
/// takes the gradient w.r.t. the output, accumulates parameter gradients (like PyTorch's
/// .grad) and returns the gradient w.r.t. the input. docs/writing-a-layer.md has an example.
template <class L>
concept Layer = LayerHasShapes<L> && LayerConstructibleFromRng<L> && LayerHasForward<L> &&
    LayerHasBackward<L> && LayerHasZeroGrad<L> && LayerHasParameters<L>;

/// `L` is a Layer bound to input shape `In` and scalar type `T`: what Sequential requires of
/// `Spec::bind<In, T>`.
template <class L, class In, class T>
concept LayerBoundTo = Layer<L> && std::same_as<typename L::input_shape, In> &&
    std::same_as<typename L::scalar_type, T>;

/// A layer spec: something with `bind<In, T>`. Checked by Sequential before binding so that
/// a non-layer in the list is reported as such.
template <class Spec>
concept LayerSpec = requires {
  typename Spec::template bind<Shape<1, 1, 1>, float>;
};

/// ctnn's compile-time checks. Each is a small struct template holding static_asserts, e.g.
/// `diagnose::Conv2dInput<Spec, In>`, run with `static_assert(sizeof(diagnose::X<...>) > 0);`:
///  - the compiler prints the struct's template arguments with the failed assertion ("In
///    instantiation of 'struct ctnn::diagnose::Conv2dInput<ctnn::Conv2d<64, 32, 3>,
///    ctnn::Shape<32, 30, 30> >'"), so the error names the layer and what it got, which a C++20
///    static_assert message, a fixed string, cannot;
///  - nothing reads a value from the struct: clang treats a class whose static_assert failed as
///    invalid, and reading its members (or a variable initialised from it) would add errors of
///    its own, so the assertion's message stays the only error under g++ and clang++ alike.
namespace diagnose {
/// Sequential's check that `Spec::bind<In, T>` (the bound layer `L`) is a `Layer` bound to In
/// and T, one requirement at a time. The compiler's "In instantiation of" line, printed right
/// above the message, names the spec, the input shape and the bound type.
template <class Spec, ShapeType In, class T, class L>
struct LayerRequirements {
  static constexpr bool has_shapes = LayerHasShapes<L>;
  static_assert(has_shapes,
                "Layer: the spec's bind<In, T> must be a type that declares input_shape and "
                "output_shape (Shape<C, H, W> types) and scalar_type (see ctnn::Layer)");
  static constexpr bool input_is_in = [] {
    if constexpr (LayerHasShapes<L>)
      return std::is_same_v<typename L::input_shape, In>;
    else
      return true;
  }();
  static_assert(input_is_in,
                "Layer: the spec's bind<In, T> must have input_shape == In, the shape it is bound "
                "to (the previous layer's output_shape)");
  static constexpr bool scalar_is_t = [] {
    if constexpr (LayerHasShapes<L>)
      return std::is_same_v<typename L::scalar_type, T>;
    else
      return true;
  }();
  static_assert(scalar_is_t,
                "Layer: the spec's bind<In, T> must have scalar_type == T, the scalar type it is "
                "bound with");
  static_assert(!has_shapes || LayerConstructibleFromRng<L>,
                "Layer: the bound layer must be constructible from a ctnn::Rng& (explicit "
                "L(Rng&)), from which it draws its initial weights");
  static_assert(!has_shapes || LayerHasForward<L>,
                "Layer: the bound layer must have const Batch<output_shape, T>& "
                "forward(const Batch<input_shape, T>&)");
  static_assert(!has_shapes || LayerHasBackward<L>,
                "Layer: the bound layer must have const Batch<input_shape, T>& "
                "backward(const Batch<output_shape, T>&)");
  static_assert(!has_shapes || LayerHasZeroGrad<L>,
                "Layer: the bound layer must have void zero_grad()");
  static_assert(!has_shapes || LayerHasParameters<L>,
                "Layer: the bound layer must have void collect_parameters(ParameterList<T>&, "
                "const std::string& prefix)");
};
}  // namespace diagnose

}  // namespace ctnn
