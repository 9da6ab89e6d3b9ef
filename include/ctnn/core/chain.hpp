#pragma once
/// \file
/// `Chain<In, T, Specs...>`: layers applied one after another, each bound to the output shape of
/// the one before. The engine behind `Sequential` and the inner path of `SkipConcat`.

#include <cstddef>
#include <string>
#include <type_traits>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/buffer.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/layer.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"

namespace ctnn {

namespace diagnose {
/// Sequential's check of the element `Spec` that follows a layer with output shape `In`.
template <class Spec, ShapeType In>
struct LayerSpecRequirements {
  static_assert(LayerSpec<Spec>,
                "Sequential: every type after Input<C, H, W> must be a layer spec such as "
                "Conv2d<...>, ReLU or SkipConcat<...> (a type with a member template bind<In, T>)");
};
/// Sequential's check of its number of layers.
template <std::size_t NumLayers>
struct SequentialLength {
  static_assert(NumLayers > 0, "Sequential: the layer list is empty");
};
}  // namespace diagnose

namespace detail {

/// Stands in for a type that is not a layer spec, so that the one readable static_assert is
/// the only error the user sees.
template <ShapeType In, class T>
struct NotALayer {
  using scalar_type = T;
  using input_shape = In;
  using output_shape = In;
  explicit NotALayer(Rng&) {}
  const Batch<In, T>& forward(const Batch<In, T>& x) { return x; }
  const Batch<In, T>& backward(const Batch<In, T>& dy) { return dy; }
  void zero_grad() {}
  void collect_parameters(ParameterList<T>&, const std::string&) {}
};

// The checks are diagnose:: structs (see core/layer.hpp): their "In instantiation of" line
// names the spec and the input shape, and nothing else fails with them.
template <class Spec, ShapeType In, class T>
struct BindOne {
  static_assert(sizeof(diagnose::LayerSpecRequirements<Spec, In>) > 0);
  using type = NotALayer<In, T>;
};
template <LayerSpec Spec, ShapeType In, class T>
struct BindOne<Spec, In, T> {
  using bound = typename Spec::template bind<In, T>;
  // One static_assert per requirement of the Layer concept that `bound` misses; a bound type
  // that is not a Layer is replaced by a stand-in so that no other error follows.
  static_assert(sizeof(diagnose::LayerRequirements<Spec, In, T, bound>) > 0);
  using type = std::conditional_t<LayerBoundTo<bound, In, T>, bound, NotALayer<In, T>>;
};

/// Binds each spec to the output shape of the previous layer.
template <ShapeType In, class T, class... Specs>
struct BindChain;
template <ShapeType In, class T, class Spec>
struct BindChain<In, T, Spec> {
  using head = typename BindOne<Spec, In, T>::type;
  using output_shape = typename head::output_shape;
};
template <ShapeType In, class T, class Spec, class Next, class... Rest>
struct BindChain<In, T, Spec, Next, Rest...> {
  using head = typename BindOne<Spec, In, T>::type;
  using tail = BindChain<typename head::output_shape, T, Next, Rest...>;
  using output_shape = typename tail::output_shape;
};

/// Passes the mode to a layer that has one (`set_training(bool)`); other layers have none.
template <class L>
void set_layer_training(L& layer, bool on) {
  if constexpr (requires { layer.set_training(on); }) layer.set_training(on);
}
/// Appends a layer's buffers if it has any (`collect_buffers(BufferList<T>&, prefix)`).
template <class L, class T>
void collect_layer_buffers(L& layer, BufferList<T>& out, const std::string& prefix) {
  if constexpr (requires { layer.collect_buffers(out, prefix); })
    layer.collect_buffers(out, prefix);
}

/// The first layer's share of Chain::backward_parameters: its own `backward_parameters(dy)`
/// where it has one (the conv layers: the weight and bias gradients without the input
/// gradient), else its backward, whose input gradient is then not used.
template <class L, class G>
void backward_parameters_of(L& layer, const G& dy) {
  if constexpr (requires { layer.backward_parameters(dy); })
    layer.backward_parameters(dy);
  else
    layer.backward(dy);
}

/// The bound layers, stored as members so they are constructed (and consume the Rng) in
/// order, first layer first, as PyTorch initialises an nn.Sequential.
template <ShapeType In, class T, class... Specs>
class LayerList;

/// No layers: only reached after Sequential's "the layer list is empty" error, which it keeps
/// the only one.
template <ShapeType In, class T>
class LayerList<In, T> {
 public:
  using output_shape = In;
  explicit LayerList(Rng&) {}
  const Batch<In, T>& forward(const Batch<In, T>& x) { return x; }
  const Batch<In, T>& backward(const Batch<In, T>& dy) { return dy; }
  void backward_parameters(const Batch<In, T>&) {}
  void zero_grad() {}
  void collect_parameters(ParameterList<T>&, const std::string&, std::size_t) {}
  void collect_buffers(BufferList<T>&, const std::string&, std::size_t) {}
  void set_training(bool) {}
};

template <ShapeType In, class T, class Spec>
class LayerList<In, T, Spec> {
 public:
  using head_type = typename BindChain<In, T, Spec>::head;
  using output_shape = typename head_type::output_shape;
  explicit LayerList(Rng& rng) : head(rng) {}

  const auto& forward(const Batch<In, T>& x) { return head.forward(x); }
  const Batch<In, T>& backward(const Batch<output_shape, T>& dy) { return head.backward(dy); }
  void backward_parameters(const Batch<output_shape, T>& dy) { backward_parameters_of(head, dy); }
  void zero_grad() { head.zero_grad(); }
  void collect_parameters(ParameterList<T>& out, const std::string& prefix, std::size_t index) {
    head.collect_parameters(out, prefix + std::to_string(index) + ".");
  }
  void collect_buffers(BufferList<T>& out, const std::string& prefix, std::size_t index) {
    collect_layer_buffers(head, out, prefix + std::to_string(index) + ".");
  }
  void set_training(bool on) { set_layer_training(head, on); }

  head_type head;
};

template <ShapeType In, class T, class Spec, class Next, class... Rest>
class LayerList<In, T, Spec, Next, Rest...> {
 public:
  using head_type = typename BindChain<In, T, Spec>::head;
  using tail_type = LayerList<typename head_type::output_shape, T, Next, Rest...>;
  using output_shape = typename tail_type::output_shape;
  explicit LayerList(Rng& rng) : head(rng), tail(rng) {}

  const auto& forward(const Batch<In, T>& x) { return tail.forward(head.forward(x)); }
  const Batch<In, T>& backward(const Batch<output_shape, T>& dy) {
    return head.backward(tail.backward(dy));
  }
  void backward_parameters(const Batch<output_shape, T>& dy) {
    backward_parameters_of(head, tail.backward(dy));
  }
  void zero_grad() {
    head.zero_grad();
    tail.zero_grad();
  }
  void collect_parameters(ParameterList<T>& out, const std::string& prefix, std::size_t index) {
    head.collect_parameters(out, prefix + std::to_string(index) + ".");
    tail.collect_parameters(out, prefix, index + 1);
  }
  void collect_buffers(BufferList<T>& out, const std::string& prefix, std::size_t index) {
    collect_layer_buffers(head, out, prefix + std::to_string(index) + ".");
    tail.collect_buffers(out, prefix, index + 1);
  }
  void set_training(bool on) {
    set_layer_training(head, on);
    tail.set_training(on);
  }

  head_type head;
  tail_type tail;
};

template <std::size_t I, class List>
auto& get_layer(List& list) {
  if constexpr (I == 0) {
    return list.head;
  } else {
    return get_layer<I - 1>(list.tail);
  }
}

}  // namespace detail

/// Layers `Specs...` applied in order to samples of shape In. Parameters are named as in the
/// equivalent nn.Sequential: "<index>.<name>".
template <ShapeType In, class T, class... Specs>
class Chain : public WithParameters<Chain<In, T, Specs...>, T> {
  static_assert(sizeof(diagnose::SequentialLength<sizeof...(Specs)>) > 0);
  using list_type = detail::LayerList<In, T, Specs...>;

 public:
  using scalar_type = T;
  using input_shape = In;
  using output_shape = typename list_type::output_shape;
  static constexpr std::size_t num_layers = sizeof...(Specs);

  explicit Chain(Rng& rng) : layers_(rng) {}

  /// Runs every layer; the result lives in the last layer's buffer until the next forward.
  const Batch<output_shape, T>& forward(const Batch<In, T>& x) { return layers_.forward(x); }
  /// Backpropagates dL/d(output): accumulates every parameter's gradient, returns dL/d(input).
  const Batch<In, T>& backward(const Batch<output_shape, T>& dy) { return layers_.backward(dy); }
  /// Backpropagates dL/d(output) into every parameter's gradient, as backward does, but does not
  /// compute dL/d(input): the training step's call when the input is data, not the output of
  /// another network. The gradients are bit for bit backward's; the first conv layer skips its
  /// data-gradient pass.
  void backward_parameters(const Batch<output_shape, T>& dy) { layers_.backward_parameters(dy); }
  void zero_grad() { layers_.zero_grad(); }
  void collect_parameters(ParameterList<T>& out, const std::string& prefix) {
    layers_.collect_parameters(out, prefix, 0);
  }
  /// Appends every layer's buffers (BatchNorm2d's running statistics), named like PyTorch's
  /// state_dict keys: "<index>.running_mean".
  void collect_buffers(BufferList<T>& out, const std::string& prefix) {
    layers_.collect_buffers(out, prefix, 0);
  }
  /// All buffers, in order: state saved with the parameters but not trained (optimizers never
  /// see them).
  BufferList<T> buffers() {
    BufferList<T> out;
    collect_buffers(out, "");
    return out;
  }
  /// Training or evaluation mode, passed to every layer that has one (BatchNorm2d); layers
  /// without a mode are unaffected.
  void set_training(bool on) { layers_.set_training(on); }
  /// The I-th bound layer (0-based, activations count, as in nn.Sequential).
  template <std::size_t I>
  auto& layer() {
    static_assert(I < num_layers,
                  "Sequential::layer<I>: I is out of range: layers are counted from 0, "
                  "activations included, so I must be less than num_layers");
    return detail::get_layer<(I < num_layers ? I : 0)>(layers_);
  }

 private:
  list_type layers_;
};

}  // namespace ctnn
