#pragma once
/// \file
/// `Upsample<Scale>`: nearest-neighbour upsampling by an integer factor; PyTorch's
/// nn.Upsample(scale_factor=Scale, mode='nearest'). C x H x W -> C x (Scale H) x (Scale W).
/// Followed by a Conv2d it replaces a transposed conv ("upsampling + conv").

#include <string>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/tensor_ops.hpp"

namespace ctnn {

template <int Scale, ShapeType In, class T>
class UpsampleLayer;

namespace diagnose {
/// The check of Upsample's argument.
template <int Scale>
struct UpsampleArguments {
  static_assert(Scale > 0, "Upsample: Scale must be a positive integer");
};
}  // namespace diagnose

template <int Scale>
struct Upsample {
  static_assert(sizeof(diagnose::UpsampleArguments<Scale>) > 0);
  static constexpr int scale = Scale;
  static std::string name() { return "Upsample<" + std::to_string(Scale) + ">"; }
  template <ShapeType In, class T = float>
  using bind = UpsampleLayer<Scale, In, T>;
};

template <int Scale, ShapeType In, class T>
class UpsampleLayer {
  // (A Scale < 1 has been reported by the spec's check; 1 here avoids an error of its own.)
  static constexpr int S = Scale > 0 ? Scale : 1;

 public:
  using spec = Upsample<Scale>;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = Shape<In::channels, In::height * S, In::width * S>;

  explicit UpsampleLayer(Rng&) {}

  const Batch<output_shape, T>& forward(const Batch<In, T>& x) {
    out_.resize(x.batch_size());
    kernels::upsample_nearest_forward<Scale>(x.data(), out_.data(), x.batch_size() * In::channels,
                                             In::height, In::width);
    return out_;
  }
  const Batch<In, T>& backward(const Batch<output_shape, T>& dy) {
    grad_in_.resize(dy.batch_size());
    kernels::upsample_nearest_backward<Scale>(
        dy.data(), grad_in_.data(), dy.batch_size() * In::channels, In::height, In::width);
    return grad_in_;
  }
  void zero_grad() {}
  void collect_parameters(ParameterList<T>&, const std::string&) {}

 private:
  Batch<output_shape, T> out_;
  Batch<In, T> grad_in_;
};

}  // namespace ctnn
