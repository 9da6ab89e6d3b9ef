// expect: MaxPool2dArguments<(ctnn::)?MaxPool2d<3, 1, 2>
// expect: static.assert(ion)? failed.*MaxPool2d: Padding must be at most half the window, K / 2
// Padding 2 with a 3 x 3 window: PyTorch refuses more than K / 2 = 1.
#include <ctnn/ctnn.hpp>
#include <ctnn/layers/max_pool2d.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, MaxPool2d<3, 1, 2>> net{Seed{0}};
}
