#pragma once
/// \file
/// `MaxPool2d<K>`: K x K max pooling with stride K, PyTorch's nn.MaxPool2d(K). A new layer
/// written outside the library, the worked example of docs/writing-a-layer.md:
///  - the *spec* `MaxPool2d<K>` is what users write in a Sequential; it has `bind<In, T>`;
///  - the *bound layer* `MaxPool2dLayer<K, In, T>` satisfies the `ctnn::Layer` concept;
///  - `diagnose::MaxPool2dInput` checks the input shape at compile time, so that the compiler's
///    "In instantiation of" line names the layer and the shape it got.

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <ctnn/core/batch.hpp>
#include <ctnn/core/init.hpp>
#include <ctnn/core/parameter.hpp>
#include <ctnn/core/shape.hpp>

namespace mylayers {

template <int K, ctnn::ShapeType In, class T>
class MaxPool2dLayer;

namespace diagnose {
/// The check of MaxPool2d's argument.
template <int K>
struct MaxPool2dArguments {
  static_assert(K > 0, "MaxPool2d<K>: K (the window size) must be positive");
};

/// The check of MaxPool2d<K> on input shape In. A struct of its own, so the compiler prints
/// "In instantiation of 'struct mylayers::diagnose::MaxPool2dInput<2, ctnn::Shape<4, 7, 7> >'"
/// with the message: the layer, and the shape it was given.
template <int K, ctnn::ShapeType In>
struct MaxPool2dInput {
  static_assert(In::height % K == 0 && In::width % K == 0,
                "MaxPool2d<K>: the input height and width must be multiples of K (this pooling "
                "has no padding and drops nothing)");
};
}  // namespace diagnose

/// The spec: K x K windows, stride K. C x H x W -> C x H/K x W/K. No parameters.
template <int K>
struct MaxPool2d {
  static_assert(sizeof(diagnose::MaxPool2dArguments<K>) > 0);
  static constexpr int kernel = K;

  /// The canonical name, recorded in checkpoints as part of the network's architecture.
  static std::string name() { return "MaxPool2d<" + std::to_string(K) + ">"; }

  /// The bound layer for samples of shape In and scalar type T.
  template <ctnn::ShapeType In, class T = float>
  using bind = MaxPool2dLayer<K, In, T>;
};

/// The bound layer. Owns its output and input-gradient buffers (resized only when the batch
/// size changes), and remembers where each maximum was for backward.
template <int K, ctnn::ShapeType In, class T>
class MaxPool2dLayer {
  // Runs the check; nothing reads from it (see docs/writing-a-layer.md).
  static_assert(sizeof(diagnose::MaxPool2dInput<K, In>) > 0);

 public:
  using spec = MaxPool2d<K>;
  using scalar_type = T;
  using input_shape = In;
  using output_shape = ctnn::Shape<In::channels, In::height / K, In::width / K>;

  /// Layers are constructed from the network's Rng (to draw initial weights); this one has none.
  explicit MaxPool2dLayer(ctnn::Rng&) {}

  /// y[n, c, i, j] = max over the window x[n, c, K i .. K i + K - 1, K j .. K j + K - 1].
  const ctnn::Batch<output_shape, T>& forward(const ctnn::Batch<In, T>& x) {
    constexpr std::size_t H = In::height, W = In::width, Ho = H / K, Wo = W / K;
    const std::size_t planes = x.batch_size() * In::channels;
    out_.resize(x.batch_size());
    argmax_.resize(planes * Ho * Wo);
    for (std::size_t p = 0; p < planes; ++p) {
      const T* src = x.data() + p * H * W;
      T* dst = out_.data() + p * Ho * Wo;
      std::size_t* arg = argmax_.data() + p * Ho * Wo;
      for (std::size_t i = 0; i < Ho; ++i)
        for (std::size_t j = 0; j < Wo; ++j) {
          std::size_t best = (i * K) * W + j * K;  // the first maximum wins, as in PyTorch
          for (std::size_t di = 0; di < K; ++di)
            for (std::size_t dj = 0; dj < K; ++dj) {
              const std::size_t at = (i * K + di) * W + (j * K + dj);
              if (src[at] > src[best]) best = at;
            }
          dst[i * Wo + j] = src[best];
          arg[i * Wo + j] = best;
        }
    }
    return out_;
  }

  /// dx is zero except at each window's maximum, which receives that window's dy.
  const ctnn::Batch<In, T>& backward(const ctnn::Batch<output_shape, T>& dy) {
    constexpr std::size_t H = In::height, W = In::width, Ho = H / K, Wo = W / K;
    const std::size_t planes = dy.batch_size() * In::channels;
    grad_in_.resize(dy.batch_size());
    std::fill(grad_in_.data(), grad_in_.data() + grad_in_.size(), T(0));
    for (std::size_t p = 0; p < planes; ++p) {
      const T* g = dy.data() + p * Ho * Wo;
      const std::size_t* arg = argmax_.data() + p * Ho * Wo;
      T* dst = grad_in_.data() + p * H * W;
      for (std::size_t o = 0; o < Ho * Wo; ++o)
        dst[arg[o]] += g[o];
    }
    return grad_in_;
  }

  /// No parameters: nothing to reset, nothing to report.
  void zero_grad() {}
  void collect_parameters(ctnn::ParameterList<T>&, const std::string&) {}

 private:
  ctnn::Batch<output_shape, T> out_;
  ctnn::Batch<In, T> grad_in_;
  std::vector<std::size_t> argmax_;
};

}  // namespace mylayers
