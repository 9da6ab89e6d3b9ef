// expect: Conv2dInput<ctnn::Conv2d<4, 4, 3, 2[0-9, ]*>, ctnn::Shape<4, 1, 1> ?>
// expect: static.assert(ion)? failed.*Conv2d: the output would be empty
// Each stride-2 conv shrinks the size: 8 -> 3 -> 1 -> nothing left for the third.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<1, 8, 8>, Conv2d<1, 4, 3, 2>, ReLU, Conv2d<4, 4, 3, 2>, ReLU, Conv2d<4, 4, 3, 2>>
      net{Seed{0}};
}
