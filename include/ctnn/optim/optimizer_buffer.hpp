#pragma once
/// \file
/// A named optimizer state buffer (Adam's moments, SGD's momentum), as checkpoints see it.

#include <cstddef>
#include <string>
#include <vector>

namespace ctnn {

template <class T>
struct OptimizerBuffer {
  std::string name;                ///< e.g. "exp_avg.0.weight"
  std::vector<T>* values;          ///< the buffer (sized like its parameter)
  std::vector<std::size_t> shape;  ///< its parameter's shape
};

}  // namespace ctnn
