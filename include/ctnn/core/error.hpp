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

}  // namespace ctnn
