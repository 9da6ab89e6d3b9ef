// expect: BatchNorm2dInput<ctnn::BatchNorm2d<8>, ctnn::Shape<4, 6, 6> ?>
// expect: static.assert(ion)? failed.*BatchNorm2d: channel mismatch: the layer.s C
// The batch norm expects 8 channels, the conv before it produces 4.
#include <ctnn/ctnn.hpp>
#include <ctnn/layers/batch_norm2d.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3>, BatchNorm2d<8>, ReLU> net{Seed{0}};
}
