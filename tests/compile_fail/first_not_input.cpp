// expect: SequentialInput<ctnn::Conv2d<3, 8, 3[0-9, ]*> ?>
// expect: static.assert(ion)? failed.*Sequential: the first type must be Input<C, H, W>
// The input shape is missing: the net starts with a layer.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Conv2d<3, 8, 3>, ReLU> net{Seed{0}};
}
