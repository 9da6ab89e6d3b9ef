#pragma once
// The benchmark programs' own command-line flags, taken out of argv before Google Benchmark
// reads the rest.

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ctnn/kernels/conv_algorithm.hpp"
#include "ctnn/kernels/precision.hpp"

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
/// --precision=bf16: bf16 conv operands (mixed precision). On a CPU without AVX512_BF16 the
/// program says so and exits with 3, so that a table never shows fp32 figures as bf16.
inline void take_conv_flag(int& argc, char** argv) {
  if (take_flag(argc, argv, "--conv=direct")) ctnn::set_conv_algorithm(ctnn::ConvAlgorithm::direct);
  if (take_flag(argc, argv, "--precision=bf16")) {
    if (!ctnn::bf16_supported()) {
      std::fprintf(stderr, "--precision=bf16: this CPU has no AVX512_BF16\n");
      std::exit(3);
    }
    ctnn::set_conv_precision(ctnn::Precision::bf16);
  }
}

}  // namespace bench
