#pragma once
/// \file
/// `SkipConcat<Layers...>`: runs an inner path and concatenates its output with the block's
/// input along channels (inner output first): C x H x W -> (C' + C) x H x W. The inner path
/// must keep H and W. PyTorch equivalent: `torch.cat([body(x), x], dim=1)` with
/// `body = nn.Sequential(...)`; parameters are named "body.<i>.<name>".

#include <cstddef>
#include <string>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/buffer.hpp"
#include "ctnn/core/chain.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/tensor_ops.hpp"
#include "ctnn/layers/detail/body_block.hpp"

namespace ctnn {

template <ShapeType In, class T, class... Specs>
class SkipConcatLayer;

namespace diagnose {
/// SkipConcat's check of its argument list.
template <std::size_t NumLayers>
struct SkipConcatArguments {
  static_assert(NumLayers > 0, "SkipConcat: the inner path needs at least one layer");
};

/// SkipConcat's check that its inner path maps `In` to an output of the same H and W.
template <ShapeType In, ShapeType InnerOutput>
struct SkipConcatInner {
  static constexpr bool same_size =
      InnerOutput::height == In::height && InnerOutput::width == In::width;
  static_assert(same_size,
                "SkipConcat: the inner path changes the height or width; its output can only be "
                "concatenated with the block's input if H and W stay the same (use padding)");
};
}  // namespace diagnose

template <class... Specs>
struct SkipConcat {
  static_assert(sizeof(diagnose::SkipConcatArguments<sizeof...(Specs)>) > 0);
  static std::string name() { return "SkipConcat<" + detail::join_names<Specs...>() + ">"; }

  template <ShapeType In, class T = float>
  using bind = SkipConcatLayer<In, T, Specs...>;
};

template <ShapeType In, class T, class... Specs>
class SkipConcatLayer : public detail::BodyBlock<In, T, Specs...> {
  using body_type = typename detail::BodyBlock<In, T, Specs...>::body_type;
  using inner_shape = typename body_type::output_shape;
  // Its "In instantiation of" line names both shapes (see diagnose:: in core/layer.hpp).
  static_assert(sizeof(diagnose::SkipConcatInner<In, inner_shape>) > 0);

 public:
  using spec = SkipConcat<Specs...>;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = Shape<inner_shape::channels + In::channels, In::height, In::width>;

  explicit SkipConcatLayer(Rng& rng) : detail::BodyBlock<In, T, Specs...>(rng) {}

  const Batch<output_shape, T>& forward(const Batch<In, T>& x) {
    const auto& inner = body_.forward(x);
    out_.resize(x.batch_size());
    kernels::concat_samples(inner.data(), inner_shape::size, x.data(), In::size, out_.data(),
                            x.batch_size());
    return out_;
  }

  /// dL/dx = (gradient through the inner path) + (the skip's share of dy).
  const Batch<In, T>& backward(const Batch<output_shape, T>& dy) {
    const std::size_t n = dy.batch_size();
    grad_inner_.resize(n);
    grad_skip_.resize(n);
    kernels::split_samples(dy.data(), grad_inner_.data(), inner_shape::size, grad_skip_.data(),
                           In::size, n);
    const auto& g = body_.backward(grad_inner_);
    kernels::add_inplace(grad_skip_.data(), g.data(), g.size());
    return grad_skip_;
  }

 private:
  using detail::BodyBlock<In, T, Specs...>::body_;
  Batch<output_shape, T> out_;
  Batch<inner_shape, T> grad_inner_;
  Batch<In, T> grad_skip_;
};

}  // namespace ctnn
