#pragma once
// --precision fp32|bf16, the trainer's and the denoise tool's: sets what the conv kernels
// multiply in (ctnn/kernels/precision.hpp). bf16 runs only where the CPU has AVX512_BF16, which
// the library asks at run time; elsewhere the program runs in fp32 and says so in one line
// rather than failing, so that one command line (and one binary) works on every machine.

#include <string>

#include "ctnn/kernels/precision.hpp"

namespace n2n {

/// "fp32" or "bf16": the --precision value, and what the trainer records.
inline std::string precision_name(ctnn::Precision p) {
  return p == ctnn::Precision::bf16 ? "bf16" : "fp32";
}

/// What --precision turned into.
struct PrecisionChoice {
  ctnn::Precision used;  ///< what the conv kernels multiply in from now on
  std::string note;      ///< empty, or the line saying why bf16 was asked for but fp32 runs
};

/// Sets the conv kernels' precision for `--precision asked` ("fp32" or "bf16") of `program`
/// (its name, for the note): bf16 where the CPU (and build) runs it, fp32 otherwise.
inline PrecisionChoice apply_precision(const std::string& asked, const std::string& program) {
  const bool bf16 = asked == "bf16";
  ctnn::set_conv_precision(bf16 ? ctnn::Precision::bf16 : ctnn::Precision::fp32);
  if (ctnn::conv_runs_bf16()) return {ctnn::Precision::bf16, ""};
  if (!bf16) return {ctnn::Precision::fp32, ""};
  const std::string why =
      ctnn::kernels::bf16::compiled
          ? "this CPU has no AVX512_BF16 instructions"
          : "this build has no bf16 kernels (they need x86-64 and GCC or Clang)";
  return {ctnn::Precision::fp32, program + ": --precision bf16: " + why + "; running in fp32"};
}

}  // namespace n2n
