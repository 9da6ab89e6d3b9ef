#pragma once
// The benchmarks' view into a network, with no hook in the library: `Walk<Net>` runs a
// Sequential's own layer objects one by one, exactly as Sequential::forward and ::backward call
// them (same kernels, same buffers, same order), and times each call by kind of layer. The
// blocks around an inner path (SkipConcat, InputMinus / Residual) are walked into: their inner
// path's layers are timed one by one, and their own element-wise work (concatenate and split;
// subtract, negate and add) is redone here with the library's kernels into buffers of the walk
// (the block's own buffers are private), timed as "concat" and "residual". `Walk<Net>::flops()`
// counts the conv multiply-adds (x2) of one forward pass per sample from the layers' geometry;
// `collect` lists every layer's own forward and backward time (`rows`), for a table per layer.

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ctnn/ctnn.hpp"
#include "ctnn/kernels/tensor_ops.hpp"

namespace bench {

/// What a step's time is spent on.
enum Part : int {
  conv,
  pool,
  batch_norm,
  upsample,
  concat,
  activation,
  residual,
  loss,
  optimizer,
  other,
  num_parts
};
inline constexpr std::array<const char*, num_parts> part_names = {
    "conv",       "pool",     "batch_norm", "upsample",  "concat",
    "activation", "residual", "loss",       "optimizer", "other"};

/// Seconds per part, summed over the calls timed so far.
struct Times {
  using clock = std::chrono::steady_clock;
  std::array<double, num_parts> seconds{};

  /// Adds the time since `start` to part p and returns it (seconds).
  double add(Part p, clock::time_point start) {
    const double s = std::chrono::duration<double>(clock::now() - start).count();
    seconds[std::size_t(p)] += s;
    return s;
  }
  double total() const {
    double s = 0;
    for (double v : seconds)
      s += v;
    return s;
  }
};

/// The part a layer spec belongs to, from its name ("Conv2d<...>", "MaxPool2d<...>", ...).
inline Part classify(std::string_view name) {
  auto starts = [&](std::string_view p) { return name.substr(0, p.size()) == p; };
  if (starts("Conv2d<") || starts("ConvTranspose2d<")) return conv;
  if (starts("MaxPool2d<")) return pool;
  if (starts("BatchNorm2d<")) return batch_norm;
  if (starts("Upsample<")) return upsample;
  if (starts("ReLU") || starts("LeakyReLU<") || starts("Sigmoid")) return activation;
  return other;
}

/// One layer's (or one block's own) time in a walk, summed over the steps walked.
struct Row {
  std::string name;   // the spec's name, or "<block> (own work)"
  std::string input;  // the input shape, "C x H x W"
  Part part;
  double forward_s, backward_s;
  double flops;  // conv FLOPs of one forward pass per sample, 0 for other layers
};

template <class C>
struct ChainWalk;

/// A layer without an inner path: its forward and backward are timed as one call each.
template <class L>
struct Node {
  double forward_s = 0, backward_s = 0;

  static Part part() {
    static const Part p = classify(L::spec::name());
    return p;
  }
  template <class X>
  const auto& forward(L& layer, const X& x, Times& t) {
    const auto start = Times::clock::now();
    const auto& y = layer.forward(x);
    forward_s += t.add(part(), start);
    return y;
  }
  template <class DY>
  const auto& backward(L& layer, const DY& dy, Times& t) {
    const auto start = Times::clock::now();
    const auto& g = layer.backward(dy);
    backward_s += t.add(part(), start);
    return g;
  }
  void reset() { forward_s = backward_s = 0; }
  void collect(L&, std::vector<Row>& rows) const {
    rows.push_back(
        {L::spec::name(), L::input_shape::str(), part(), forward_s, backward_s, flops()});
  }
  static constexpr double flops() {
    if constexpr (requires { L::geometry.flops_per_sample(); })
      return L::geometry.flops_per_sample();
    else
      return 0.0;
  }
};

/// SkipConcat: the inner path walked, then concat_samples (backward: split_samples, the inner
/// path, add_inplace), as SkipConcatLayer does.
template <ctnn::ShapeType In, class T, class... Specs>
struct Node<ctnn::SkipConcatLayer<In, T, Specs...>> {
  using L = ctnn::SkipConcatLayer<In, T, Specs...>;
  using body_type = ctnn::Chain<In, T, Specs...>;
  using inner = typename body_type::output_shape;
  using out = typename L::output_shape;

  ChainWalk<body_type> body;
  ctnn::Batch<out, T> y;
  ctnn::Batch<inner, T> grad_inner;
  ctnn::Batch<In, T> grad_skip;
  double forward_s = 0, backward_s = 0;

  const ctnn::Batch<out, T>& forward(L& layer, const ctnn::Batch<In, T>& x, Times& t) {
    const auto& a = body.forward(layer.body(), x, t);
    const auto start = Times::clock::now();
    y.resize(x.batch_size());
    ctnn::kernels::concat_samples(a.data(), inner::size, x.data(), In::size, y.data(),
                                  x.batch_size());
    forward_s += t.add(concat, start);
    return y;
  }
  const ctnn::Batch<In, T>& backward(L& layer, const ctnn::Batch<out, T>& dy, Times& t) {
    const std::size_t n = dy.batch_size();
    auto start = Times::clock::now();
    grad_inner.resize(n);
    grad_skip.resize(n);
    ctnn::kernels::split_samples(dy.data(), grad_inner.data(), inner::size, grad_skip.data(),
                                 In::size, n);
    backward_s += t.add(concat, start);
    const auto& g = body.backward(layer.body(), grad_inner, t);
    start = Times::clock::now();
    ctnn::kernels::add_inplace(grad_skip.data(), g.data(), g.size());
    backward_s += t.add(concat, start);
    return grad_skip;
  }
  static constexpr double flops() { return ChainWalk<body_type>::flops(); }
  void reset() {
    body.reset();
    forward_s = backward_s = 0;
  }
  void collect(L& layer, std::vector<Row>& rows) const {
    body.collect(layer.body(), rows);
    rows.push_back({"SkipConcat (own work)", out::str(), concat, forward_s, backward_s, 0.0});
  }
};

/// Residual (x + body(x)) and InputMinus (x - body(x)), as ResidualLayer computes them.
template <ctnn::ResidualSign Sign, ctnn::ShapeType In, class T, class... Specs>
struct Node<ctnn::ResidualLayer<Sign, In, T, Specs...>> {
  using L = ctnn::ResidualLayer<Sign, In, T, Specs...>;
  using body_type = ctnn::Chain<In, T, Specs...>;

  ChainWalk<body_type> body;
  ctnn::Batch<In, T> y, grad_in, negated;
  double forward_s = 0, backward_s = 0;

  const ctnn::Batch<In, T>& forward(L& layer, const ctnn::Batch<In, T>& x, Times& t) {
    const auto& b = body.forward(layer.body(), x, t);
    const auto start = Times::clock::now();
    y.resize(x.batch_size());
    if constexpr (Sign == ctnn::ResidualSign::add)
      ctnn::kernels::add(x.data(), b.data(), y.data(), x.size());
    else
      ctnn::kernels::subtract(x.data(), b.data(), y.data(), x.size());
    forward_s += t.add(residual, start);
    return y;
  }
  const ctnn::Batch<In, T>& backward(L& layer, const ctnn::Batch<In, T>& dy, Times& t) {
    const std::size_t n = dy.batch_size();
    const ctnn::Batch<In, T>* body_dy = &dy;
    auto start = Times::clock::now();
    if constexpr (Sign == ctnn::ResidualSign::subtract) {
      negated.resize(n);
      ctnn::kernels::negate(dy.data(), negated.data(), dy.size());
      body_dy = &negated;
    }
    backward_s += t.add(residual, start);
    const auto& g = body.backward(layer.body(), *body_dy, t);
    start = Times::clock::now();
    grad_in.resize(n);
    ctnn::kernels::add(dy.data(), g.data(), grad_in.data(), dy.size());
    backward_s += t.add(residual, start);
    return grad_in;
  }
  static constexpr double flops() { return ChainWalk<body_type>::flops(); }
  void reset() {
    body.reset();
    forward_s = backward_s = 0;
  }
  void collect(L& layer, std::vector<Row>& rows) const {
    body.collect(layer.body(), rows);
    rows.push_back(
        {Sign == ctnn::ResidualSign::add ? "Residual (own work)" : "InputMinus (own work)",
         In::str(), residual, forward_s, backward_s, 0.0});
  }
};

template <class C, std::size_t I>
using layer_t = std::remove_cvref_t<decltype(std::declval<C&>().template layer<I>())>;

template <class C, class Seq>
struct ChainWalkImpl;
template <class C, std::size_t... I>
struct ChainWalkImpl<C, std::index_sequence<I...>> {
  std::tuple<Node<layer_t<C, I>>...> nodes;

  template <std::size_t J = 0, class X>
  const auto& forward(C& chain, const X& x, Times& t) {
    const auto& y = std::get<J>(nodes).forward(chain.template layer<J>(), x, t);
    if constexpr (J + 1 == C::num_layers)
      return y;
    else
      return forward<J + 1>(chain, y, t);
  }
  template <std::size_t J = C::num_layers - 1, class DY>
  const auto& backward(C& chain, const DY& dy, Times& t) {
    const auto& g = std::get<J>(nodes).backward(chain.template layer<J>(), dy, t);
    if constexpr (J == 0)
      return g;
    else
      return backward<J - 1>(chain, g, t);
  }
  static constexpr double flops() { return (0.0 + ... + Node<layer_t<C, I>>::flops()); }
  /// Zeroes every layer's own times.
  void reset() { (std::get<I>(nodes).reset(), ...); }
  /// Appends every layer's own times, in the order of the forward pass.
  void collect(C& chain, std::vector<Row>& rows) const {
    (std::get<I>(nodes).collect(chain.template layer<I>(), rows), ...);
  }
};

/// The walk through a Chain (or a Sequential, which is one).
template <class C>
struct ChainWalk : ChainWalkImpl<C, std::make_index_sequence<C::num_layers>> {};

/// A whole network: forward and backward through its layers, timed.
template <class Net>
using Walk = ChainWalk<Net>;

}  // namespace bench
