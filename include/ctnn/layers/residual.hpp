#pragma once
/// \file
/// Additive skips: `Residual<Layers...>` computes x + body(x) (a ResNet block's identity
/// shortcut) and `InputMinus<Layers...>` computes x - body(x) (DnCNN's residual learning: the
/// body predicts the noise, the block returns the input minus it). The body must keep C x H x W.
/// PyTorch equivalent: a module with `body = nn.Sequential(...)` whose forward returns
/// `x + self.body(x)` (or `x - self.body(x)`); parameters are named "body.<i>.<name>".

#include <cstddef>
#include <string>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/chain.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/tensor_ops.hpp"
#include "ctnn/layers/detail/body_block.hpp"

namespace ctnn {

/// How a residual block combines its input with its body's output.
enum class ResidualSign { add, subtract };

template <ResidualSign Sign, ShapeType In, class T, class... Specs>
class ResidualLayer;

namespace diagnose {
/// A residual block's check of its argument list.
template <std::size_t NumLayers>
struct ResidualArguments {
  static_assert(NumLayers > 0, "Residual: the body needs at least one layer");
};

/// A residual block's check that its body maps `In` to the same shape, `BodyOutput`.
template <ShapeType In, ShapeType BodyOutput>
struct ResidualBody {
  static constexpr bool same_shape = BodyOutput::channels == In::channels &&
                                     BodyOutput::height == In::height &&
                                     BodyOutput::width == In::width;
  static_assert(same_shape,
                "Residual: the body changes the shape (channels, height or width); its output is "
                "added to the block's input, so it must keep C x H x W (use padding, and end the "
                "body with as many channels as the input has)");
};
}  // namespace diagnose

namespace detail {
template <ResidualSign Sign, const char* Name, class... Specs>
struct ResidualSpec {
  static_assert(sizeof(diagnose::ResidualArguments<sizeof...(Specs)>) > 0);
  static std::string name() { return std::string(Name) + "<" + join_names<Specs...>() + ">"; }
  template <ShapeType In, class T = float>
  using bind = ResidualLayer<Sign, In, T, Specs...>;
};
inline constexpr char residual_name[] = "Residual";
inline constexpr char input_minus_name[] = "InputMinus";
}  // namespace detail

/// x + body(x).
template <class... Specs>
struct Residual : detail::ResidualSpec<ResidualSign::add, detail::residual_name, Specs...> {};

/// x - body(x): DnCNN's output, the input minus the noise the body predicts.
template <class... Specs>
struct InputMinus
    : detail::ResidualSpec<ResidualSign::subtract, detail::input_minus_name, Specs...> {};

template <ResidualSign Sign, ShapeType In, class T, class... Specs>
class ResidualLayer : public detail::BodyBlock<In, T, Specs...> {
  using body_type = typename detail::BodyBlock<In, T, Specs...>::body_type;
  // Its "In instantiation of" line names both shapes (see diagnose:: in core/layer.hpp).
  static_assert(sizeof(diagnose::ResidualBody<In, typename body_type::output_shape>) > 0);

 public:
  using spec =
      std::conditional_t<Sign == ResidualSign::add, Residual<Specs...>, InputMinus<Specs...>>;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = In;

  explicit ResidualLayer(Rng& rng) : detail::BodyBlock<In, T, Specs...>(rng) {}

  const Batch<In, T>& forward(const Batch<In, T>& x) {
    const auto& y = body_.forward(x);
    out_.resize(x.batch_size());
    if constexpr (Sign == ResidualSign::add)
      kernels::add(x.data(), y.data(), out_.data(), x.size());
    else
      kernels::subtract(x.data(), y.data(), out_.data(), x.size());
    return out_;
  }

  /// dL/dx = dy (the shortcut) + the body's input gradient for +dy (or -dy).
  const Batch<In, T>& backward(const Batch<In, T>& dy) {
    const std::size_t n = dy.batch_size();
    const Batch<body_output, T>* body_dy = &dy;
    if constexpr (Sign == ResidualSign::subtract) {
      negated_.resize(n);
      kernels::negate(dy.data(), negated_.data(), dy.size());
      body_dy = &negated_;
    }
    const auto& g = body_.backward(*body_dy);
    grad_in_.resize(n);
    kernels::add(dy.data(), g.data(), grad_in_.data(), dy.size());
    return grad_in_;
  }

 private:
  using body_output = typename body_type::output_shape;
  using detail::BodyBlock<In, T, Specs...>::body_;
  Batch<In, T> out_, grad_in_;
  Batch<body_output, T> negated_;
};

}  // namespace ctnn
