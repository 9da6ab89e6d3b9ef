// expect: static.assert(ion)? failed.*conv layer: Cin \(input channels, first argument\) must be positive
// expect: static.assert(ion)? failed.*conv layer: Cout \(output channels, second argument\) must be positive
// expect: static.assert(ion)? failed.*conv layer: K \(kernel size, third argument\) must be positive
// expect: static.assert(ion)? failed.*conv layer: Stride must be positive
// expect: static.assert(ion)? failed.*conv layer: Padding must not be negative
// expect: static.assert(ion)? failed.*conv layer: Dilation must be positive
// expect: ConvArguments<(ctnn::)?ConvTranspose2d<0, 8, 3[^>]*>
// expect: ConvArguments<(ctnn::)?ConvTranspose2d<3, 0, 3[^>]*>
// expect: ConvArguments<(ctnn::)?ConvTranspose2d<3, 8, 0[^>]*>
// expect: ConvArguments<(ctnn::)?ConvTranspose2d<3, 8, 3, 0[^>]*>
// expect: ConvArguments<(ctnn::)?ConvTranspose2d<3, 8, 3, 1, -1[^>]*>
// expect: ConvArguments<(ctnn::)?ConvTranspose2d<3, 8, 3, 1, 0, 0, 0[^>]*>
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
