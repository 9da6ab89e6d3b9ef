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

/// A bound layer: fixed input and output shapes, forward and backward over batches.
/// forward returns a reference to a buffer the layer owns (valid until the next forward) and
/// remembers the input for backward, so the input must outlive the backward call. backward
/// takes the gradient w.r.t. the output, accumulates parameter gradients (like PyTorch's
/// .grad) and returns the gradient w.r.t. the input.
template <class L>
concept Layer = requires(L& layer, const Batch<typename L::input_shape, typename L::scalar_type>& x,
                         const Batch<typename L::output_shape, typename L::scalar_type>& dy,
                         ParameterList<typename L::scalar_type>& params, const std::string& prefix,
                         Rng& rng) {
  requires ShapeType<typename L::input_shape>;
  requires ShapeType<typename L::output_shape>;
  L(rng);
  {
    layer.forward(x)
    } -> std::same_as<const Batch<typename L::output_shape, typename L::scalar_type>&>;
  {
    layer.backward(dy)
    } -> std::same_as<const Batch<typename L::input_shape, typename L::scalar_type>&>;
  layer.zero_grad();
  layer.collect_parameters(params, prefix);
};

/// A layer spec: something with `bind<In, T>`. Checked by Sequential before binding so that
/// a non-layer in the list is reported as such.
template <class Spec>
concept LayerSpec = requires {
  typename Spec::template bind<Shape<1, 1, 1>, float>;
};

}  // namespace ctnn
