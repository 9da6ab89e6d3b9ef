#pragma once
/// \file
/// What the blocks around an inner path share (SkipConcat, Residual, InputMinus): the path
/// itself, a `Chain` named "body" as in their PyTorch modules, and everything reached through
/// it: gradients, parameters and buffers ("body.<i>.<name>"), the training mode.

#include <string>

#include "ctnn/core/buffer.hpp"
#include "ctnn/core/chain.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"

namespace ctnn::detail {

template <ShapeType In, class T, class... Specs>
class BodyBlock {
 public:
  using body_type = Chain<In, T, Specs...>;

  explicit BodyBlock(Rng& rng) : body_(rng) {}

  void zero_grad() { body_.zero_grad(); }
  void collect_parameters(ParameterList<T>& out, const std::string& prefix) {
    body_.collect_parameters(out, prefix + "body.");
  }
  /// The inner path's buffers, "body.<i>.<name>".
  void collect_buffers(BufferList<T>& out, const std::string& prefix) {
    body_.collect_buffers(out, prefix + "body.");
  }
  /// Passes the mode to the inner path's layers.
  void set_training(bool on) { body_.set_training(on); }
  body_type& body() { return body_; }

 protected:
  body_type body_;
};

}  // namespace ctnn::detail
