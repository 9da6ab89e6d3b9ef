// expect: static.assert(ion)? failed.*ConvTranspose2d: Cin \(input channels\) must be positive
// expect: static.assert(ion)? failed.*ConvTranspose2d: Cout \(output channels\) must be positive
// expect: static.assert(ion)? failed.*ConvTranspose2d: K \(kernel size\) must be positive
// expect: static.assert(ion)? failed.*ConvTranspose2d: Stride must be positive
// expect: static.assert(ion)? failed.*ConvTranspose2d: Padding must not be negative
// expect: static.assert(ion)? failed.*ConvTranspose2d: Dilation must be positive
// expect: ConvTranspose2dArguments<0, 8, 3, 1, 0, 0, 1>
// expect: ConvTranspose2dArguments<3, 0, 3, 1, 0, 0, 1>
// expect: ConvTranspose2dArguments<3, 8, 0, 1, 0, 0, 1>
// expect: ConvTranspose2dArguments<3, 8, 3, 0, 0, 0, 1>
// expect: ConvTranspose2dArguments<3, 8, 3, 1, -1, 0, 1>
// expect: ConvTranspose2dArguments<3, 8, 3, 1, 0, 0, 0>
// ConvTranspose2d's own arguments, one bad argument per spec (OutputPadding:
// conv_transpose_output_padding.cpp).
#include <ctnn/ctnn.hpp>
using namespace ctnn;
static_assert(sizeof(ConvTranspose2d<0, 8, 3>) > 0);
static_assert(sizeof(ConvTranspose2d<3, 0, 3>) > 0);
static_assert(sizeof(ConvTranspose2d<3, 8, 0>) > 0);
static_assert(sizeof(ConvTranspose2d<3, 8, 3, 0>) > 0);
static_assert(sizeof(ConvTranspose2d<3, 8, 3, 1, -1>) > 0);
static_assert(sizeof(ConvTranspose2d<3, 8, 3, 1, 0, 0, 0>) > 0);
