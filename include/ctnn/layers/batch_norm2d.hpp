#pragma once
/// \file
/// `BatchNorm2d<C>`: PyTorch's nn.BatchNorm2d(C) with its defaults (eps 1e-5, momentum 0.1,
/// affine, running statistics tracked). In training mode (the default) it normalises each
/// channel with the batch's mean and biased variance and updates the running statistics
/// (running_var with the unbiased variance, as PyTorch); in evaluation mode
/// (`net.eval()`) it normalises with the running statistics. Parameters "weight" (gamma, 1) and
/// "bias" (beta, 0); buffers "running_mean" (0), "running_var" (1) and "num_batches_tracked"
/// (int64, 0). Output shape = input shape.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "ctnn/core/batch.hpp"
#include "ctnn/core/buffer.hpp"
#include "ctnn/core/error.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/kernels/batch_norm.hpp"

namespace ctnn {

template <int C, ShapeType In, class T>
class BatchNorm2dLayer;

namespace diagnose {
/// BatchNorm2d's check of its argument.
template <int C>
struct BatchNorm2dArguments {
  static_assert(C > 0, "BatchNorm2d<C>: C (the number of channels) must be positive");
};

/// BatchNorm2d's check that its input has C channels. The "In instantiation of" line names the
/// spec and the input shape.
template <class Spec, ShapeType In>
struct BatchNorm2dInput {
  static_assert(In::channels == Spec::channels,
                "BatchNorm2d: channel mismatch: the layer's C (its template argument) differs from "
                "the number of channels of its input (the previous layer's output)");
};
}  // namespace diagnose

template <int C>
struct BatchNorm2d {
  static_assert(sizeof(diagnose::BatchNorm2dArguments<C>) > 0);
  static constexpr int channels = C;
  static constexpr double eps = 1e-5;
  static constexpr double momentum = 0.1;

  static std::string name() { return "BatchNorm2d<" + std::to_string(C) + ">"; }

  template <ShapeType In, class T = float>
  using bind = BatchNorm2dLayer<C, In, T>;
};

template <int C, ShapeType In, class T>
class BatchNorm2dLayer : public WithParameters<BatchNorm2dLayer<C, In, T>, T> {
  static_assert(sizeof(diagnose::BatchNorm2dInput<BatchNorm2d<C>, In>) > 0);
  static constexpr std::size_t channels = std::size_t(C > 0 ? C : 1);
  static constexpr std::size_t plane = std::size_t(In::height) * std::size_t(In::width);

 public:
  using spec = BatchNorm2d<C>;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = In;

  /// PyTorch's initialisation: weight 1, bias 0, running_mean 0, running_var 1; draws nothing.
  explicit BatchNorm2dLayer(Rng&)
      : weight_(shape1(), T(1)),
        weight_grad_(shape1(), T(0)),
        bias_(shape1(), T(0)),
        bias_grad_(shape1(), T(0)),
        running_mean_(shape1(), T(0)),
        running_var_(shape1(), T(1)),
        num_batches_tracked_(1, 0),
        shift_(channels),
        scale_(channels),
        var_(channels),
        sum_dy_(channels),
        sum_dy_xhat_(channels),
        grad_scale_(channels) {}

  /// Training mode (batch statistics, running statistics updated) or evaluation mode (running
  /// statistics). Sequential's train() and eval() call it.
  void set_training(bool on) { training_ = on; }
  bool is_training() const { return training_; }

  const Batch<In, T>& forward(const Batch<In, T>& x) {
    const std::size_t n = x.batch_size();
    forward_training_ = training_;
    if (training_) {
      if (n * plane <= 1)
        throw InputError("BatchNorm2d: training mode needs more than 1 value per channel, got " +
                         std::to_string(n) + " sample(s) of " + In::str() +
                         " (use a larger batch, or eval() for inference)");
      kernels::batch_norm_statistics(x.data(), n, channels, plane, shift_.data(), var_.data());
      const double count = double(n) * double(plane);
      const double m = spec::momentum;
      for (std::size_t c = 0; c < channels; ++c) {
        scale_[c] = T(1.0 / std::sqrt(double(var_[c]) + spec::eps));
        running_mean_(c) = T((1 - m) * double(running_mean_(c)) + m * double(shift_[c]));
        running_var_(c) =
            T((1 - m) * double(running_var_(c)) + m * double(var_[c]) * count / (count - 1));
      }
      ++num_batches_tracked_[0];
    } else {
      for (std::size_t c = 0; c < channels; ++c) {
        shift_[c] = running_mean_(c);
        scale_[c] = T(1.0 / std::sqrt(double(running_var_(c)) + spec::eps));
      }
    }
    xhat_.resize(n);
    out_.resize(n);
    kernels::batch_norm_normalize(x.data(), xhat_.data(), out_.data(), n, channels, plane,
                                  shift_.data(), scale_.data(), weight_.data(), bias_.data());
    return out_;
  }

  /// Gradients through the normalisation of the matching forward: in training mode through the
  /// batch statistics too, in evaluation mode with the running statistics as constants.
  const Batch<In, T>& backward(const Batch<In, T>& dy) {
    const std::size_t n = dy.batch_size();
    kernels::batch_norm_backward_sums(dy.data(), xhat_.data(), n, channels, plane, sum_dy_.data(),
                                      sum_dy_xhat_.data());
    const double count = double(n) * double(plane);
    for (std::size_t c = 0; c < channels; ++c) {
      weight_grad_(c) += sum_dy_xhat_[c];
      bias_grad_(c) += sum_dy_[c];
      grad_scale_[c] = weight_(c) * scale_[c];
      // The means of dy and dy * xhat (reusing the sums' storage); 0 in evaluation mode.
      sum_dy_[c] = forward_training_ ? T(double(sum_dy_[c]) / count) : T(0);
      sum_dy_xhat_[c] = forward_training_ ? T(double(sum_dy_xhat_[c]) / count) : T(0);
    }
    grad_in_.resize(n);
    kernels::batch_norm_backward_data(dy.data(), xhat_.data(), grad_in_.data(), n, channels, plane,
                                      grad_scale_.data(), sum_dy_.data(), sum_dy_xhat_.data());
    return grad_in_;
  }

  void zero_grad() {
    weight_grad_.fill(T(0));
    bias_grad_.fill(T(0));
  }
  void collect_parameters(ParameterList<T>& out, const std::string& prefix) {
    out.push_back({prefix + "weight", weight_.data(), weight_grad_.data(), channels, {channels}});
    out.push_back({prefix + "bias", bias_.data(), bias_grad_.data(), channels, {channels}});
  }
  void collect_buffers(BufferList<T>& out, const std::string& prefix) {
    out.push_back({prefix + "running_mean", running_mean_.data(), nullptr, channels, {channels}});
    out.push_back({prefix + "running_var", running_var_.data(), nullptr, channels, {channels}});
    out.push_back({prefix + "num_batches_tracked", nullptr, num_batches_tracked_.data(), 1, {}});
  }

  /// gamma and beta (C each) and their gradients.
  xt::xtensor<T, 1>& weight() { return weight_; }
  xt::xtensor<T, 1>& bias() { return bias_; }
  const xt::xtensor<T, 1>& weight_grad() const { return weight_grad_; }
  const xt::xtensor<T, 1>& bias_grad() const { return bias_grad_; }
  /// The running statistics and the number of training forwards that updated them.
  xt::xtensor<T, 1>& running_mean() { return running_mean_; }
  xt::xtensor<T, 1>& running_var() { return running_var_; }
  std::int64_t num_batches_tracked() const { return num_batches_tracked_[0]; }

 private:
  static std::array<std::size_t, 1> shape1() { return {channels}; }

  xt::xtensor<T, 1> weight_, weight_grad_, bias_, bias_grad_, running_mean_, running_var_;
  std::vector<std::int64_t> num_batches_tracked_;  // on the heap: its address never changes
  bool training_ = true;
  bool forward_training_ = true;  // the mode of the last forward, which backward follows
  // Per channel: the forward's shift (mean) and scale (1 / sqrt(var + eps)), the batch
  // variance, the backward's sums and gamma * scale. Sized once, in the constructor.
  std::vector<T> shift_, scale_, var_, sum_dy_, sum_dy_xhat_, grad_scale_;
  Batch<In, T> xhat_;  // the normalised input, kept for backward
  Batch<In, T> out_;
  Batch<In, T> grad_in_;
};

}  // namespace ctnn
