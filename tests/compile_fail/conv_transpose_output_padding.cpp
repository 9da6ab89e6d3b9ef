// expect: ConvTranspose2dOutputPadding<1, 1, 1>
// expect: static.assert(ion)? failed.*ConvTranspose2d: OutputPadding must be smaller than either Stride or Dilation
// Output padding 1 with stride 1 and dilation 1 is not allowed (as in PyTorch).
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, ConvTranspose2d<3, 3, 3, 1, 0, 1>> net{Seed{0}};
}
