// expect: MaxPool2dArguments<(ctnn::)?MaxPool2d<2, 0(, 0)?>
// expect: static.assert(ion)? failed.*MaxPool2d: Stride must be positive
// A max pool with stride 0.
#include <ctnn/ctnn.hpp>
#include <ctnn/layers/max_pool2d.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, MaxPool2d<2, 0>> net{Seed{0}};
}
