// expect: static.assert(ion)? failed.*Conv2d: Cin \(input channels\) must be positive
// expect: static.assert(ion)? failed.*Conv2d: Cout \(output channels\) must be positive
// expect: static.assert(ion)? failed.*Conv2d: K \(kernel size\) must be positive
// expect: static.assert(ion)? failed.*Conv2d: Padding must not be negative
// expect: static.assert(ion)? failed.*Conv2d: Dilation must be positive
// expect: Conv2dArguments<0, 8, 3, 1, 0, 1>
// expect: Conv2dArguments<3, 0, 3, 1, 0, 1>
// expect: Conv2dArguments<3, 8, 0, 1, 0, 1>
// expect: Conv2dArguments<3, 8, 3, 1, -1, 1>
// expect: Conv2dArguments<3, 8, 3, 1, 0, 0>
// Conv2d's own arguments, one bad argument per spec (Stride: conv_stride_zero.cpp).
#include <ctnn/ctnn.hpp>
using namespace ctnn;
static_assert(sizeof(Conv2d<0, 8, 3>) > 0);
static_assert(sizeof(Conv2d<3, 0, 3>) > 0);
static_assert(sizeof(Conv2d<3, 8, 0>) > 0);
static_assert(sizeof(Conv2d<3, 8, 3, 1, -1>) > 0);
static_assert(sizeof(Conv2d<3, 8, 3, 1, 0, 0>) > 0);
