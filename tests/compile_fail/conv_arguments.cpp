// expect: static.assert(ion)? failed.*conv layer: Cin \(input channels, first argument\) must be positive
// expect: static.assert(ion)? failed.*conv layer: Cout \(output channels, second argument\) must be positive
// expect: static.assert(ion)? failed.*conv layer: K \(kernel size, third argument\) must be positive
// expect: static.assert(ion)? failed.*conv layer: Padding must not be negative
// expect: static.assert(ion)? failed.*conv layer: Dilation must be positive
// expect: ConvArguments<(ctnn::)?Conv2d<0, 8, 3[^>]*>
// expect: ConvArguments<(ctnn::)?Conv2d<3, 0, 3[^>]*>
// expect: ConvArguments<(ctnn::)?Conv2d<3, 8, 0[^>]*>
// expect: ConvArguments<(ctnn::)?Conv2d<3, 8, 3, 1, -1[^>]*>
// expect: ConvArguments<(ctnn::)?Conv2d<3, 8, 3, 1, 0, 0[^>]*>
// Conv2d's own arguments, one bad argument per spec (Stride: conv_stride_zero.cpp).
#include <ctnn/ctnn.hpp>
using namespace ctnn;
static_assert(sizeof(Conv2d<0, 8, 3>) > 0);
static_assert(sizeof(Conv2d<3, 0, 3>) > 0);
static_assert(sizeof(Conv2d<3, 8, 0>) > 0);
static_assert(sizeof(Conv2d<3, 8, 3, 1, -1>) > 0);
static_assert(sizeof(Conv2d<3, 8, 3, 1, 0, 0>) > 0);
