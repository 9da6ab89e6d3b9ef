// expect: ConvTranspose2dInput<ctnn::ConvTranspose2d<100, 3, 3[0-9, ]*>, ctnn::Shape<32, 30, 30> ?>
// expect: static.assert(ion)? failed.*ConvTranspose2d: channel mismatch: the layer.s Cin
// The transposed conv expects 100 channels, the conv produces 32.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 32, 32>, Conv2d<3, 32, 3>, ReLU, ConvTranspose2d<100, 3, 3>> net{Seed{0}};
}
