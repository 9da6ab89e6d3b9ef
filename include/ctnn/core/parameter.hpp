#pragma once
/// \file
/// A named view of a trainable tensor and its gradient, as optimizers and checkpoints see it.

#include <cstddef>
#include <string>
#include <vector>

namespace ctnn {

/// Points into a layer's storage; valid as long as the layer lives (layers do not move
/// their parameter storage after construction).
template <class T>
struct ParameterRef {
  std::string name;                ///< PyTorch state_dict key, e.g. "0.weight", "2.body.0.bias"
  T* value = nullptr;              ///< the parameter's values
  T* grad = nullptr;               ///< its gradient, same size
  std::size_t size = 0;            ///< number of values
  std::vector<std::size_t> shape;  ///< PyTorch layout, e.g. {Cout, Cin, K, K}
};

template <class T>
using ParameterList = std::vector<ParameterRef<T>>;

/// `parameters()`, written once for every layer and network that has
/// `collect_parameters(ParameterList<T>&, const std::string& prefix)`: derive from
/// `WithParameters<Derived, T>` (CRTP).
template <class Derived, class T>
class WithParameters {
 public:
  /// All trainable tensors, in order, named like PyTorch's state_dict keys.
  ParameterList<T> parameters() {
    ParameterList<T> out;
    static_cast<Derived&>(*this).collect_parameters(out, "");
    return out;
  }
};

}  // namespace ctnn
