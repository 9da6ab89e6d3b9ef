#pragma once
/// \file
/// Exceptions that ctnn throws for run-time problems.

#include <stdexcept>
#include <string>

namespace ctnn {

/// A run-time tensor whose shape does not fit the compile-time shape of a network or layer.
class ShapeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A run-time input whose values a network cannot take: NaN or infinity. what() names the
/// first bad element, e.g. "Sequential::forward: input[0, 2, 5, 7] is nan ...".
class InputError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace ctnn
