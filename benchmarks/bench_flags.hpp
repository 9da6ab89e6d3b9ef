#pragma once
// The benchmark programs' own command-line flags, taken out of argv before Google Benchmark
// reads the rest.

#include <cstring>

#include "ctnn/kernels/conv_algorithm.hpp"

namespace bench {

/// Removes every `flag` from argv (argc shrinks) and says whether there was one.
inline bool take_flag(int& argc, char** argv, const char* flag) {
  int kept = 0;
  bool found = false;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && std::strcmp(argv[i], flag) == 0)
      found = true;
    else
      argv[kept++] = argv[i];
  }
  argc = kept;
  return found;
}

/// --conv=direct: direct convolution only (default: Winograd where the kernels plan it).
inline void take_conv_flag(int& argc, char** argv) {
  if (take_flag(argc, argv, "--conv=direct")) ctnn::set_conv_algorithm(ctnn::ConvAlgorithm::direct);
}

}  // namespace bench
