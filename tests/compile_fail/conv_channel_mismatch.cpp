// expect: Conv2dInput<ctnn::Conv2d<64, 32, 3[0-9, ]*>, ctnn::Shape<32, 30, 30> ?>
// expect: static.assert(ion)? failed.*Conv2d: channel mismatch: the layer.s Cin
// The third layer expects 64 channels, the first conv produces 32.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 32, 32>, Conv2d<3, 32, 3>, ReLU, Conv2d<64, 32, 3>> net{Seed{0}};
}
