#pragma once
/// \file
/// A named view of a layer's buffer: state that is saved and loaded with the parameters but is
/// not trained (BatchNorm2d's running_mean, running_var and num_batches_tracked), as PyTorch's
/// registered buffers. Optimizers never see buffers: they are not in parameters().

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ctnn {

/// Points into a layer's storage, which does not move after construction. A buffer holds
/// either floating-point values (`value`, the network's scalar type) or 64-bit integers
/// (`integer`, PyTorch's int64 `num_batches_tracked`); the other pointer is null.
template <class T>
struct BufferRef {
  std::string name;                 ///< PyTorch state_dict key, e.g. "1.running_mean"
  T* value = nullptr;               ///< floating-point values, or null
  std::int64_t* integer = nullptr;  ///< int64 values, or null
  std::size_t size = 0;             ///< number of values
  std::vector<std::size_t> shape;   ///< PyTorch's shape: {C}, or {} for a scalar
  bool is_integer() const { return integer != nullptr; }
};

template <class T>
using BufferList = std::vector<BufferRef<T>>;

/// The network's buffers; none for a network type without buffers().
template <class Net>
BufferList<typename Net::scalar_type> buffers_of(Net& net) {
  if constexpr (requires { net.buffers(); })
    return net.buffers();
  else
    return {};
}

}  // namespace ctnn
