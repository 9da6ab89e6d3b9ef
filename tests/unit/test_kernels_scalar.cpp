// The same fast-vs-reference conv checks, built with the one-lane scalar fallback
// (CTNN_KERNELS_SCALAR) that a target without SIMD support gets.
#define CTNN_KERNELS_SCALAR 1
#include "test_kernels_conv.cpp"

TEST_CASE("the scalar fallback is the one in use", "[kernels][scalar]") {
  CHECK_FALSE(ctnn::kernels::simd::enabled);
  CHECK(ctnn::kernels::simd::width == 1);
}
