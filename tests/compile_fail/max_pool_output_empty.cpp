// expect: MaxPool2dInput<(ctnn::)?MaxPool2d<7(, 7, 0)?>, (ctnn::)?Shape<4, 6, 6> ?>
// expect: static.assert(ion)? failed.*MaxPool2d: the output would be empty: the window K is larger than the padded input
// A 7 x 7 window on the 6 x 6 output of a 3 x 3 conv.
#include <ctnn/ctnn.hpp>
#include <ctnn/layers/max_pool2d.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3>, MaxPool2d<7>> net{Seed{0}};
}
