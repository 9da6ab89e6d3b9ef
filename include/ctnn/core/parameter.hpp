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

}  // namespace ctnn
