// expect: MaxPool2dInput<2, ctnn::Shape<4, 7, 7> ?>
// expect: static.assert(ion)? failed.*MaxPool2d<K>: the input height and width must be multiples of K
// MaxPool2d's compile-time check: a 2x2 pool cannot take a 7x7 input.
#include <ctnn/ctnn.hpp>

#include "max_pool2d.hpp"

void use() {
  using namespace ctnn;
  Sequential<Input<3, 9, 9>, Conv2d<3, 4, 3>, mylayers::MaxPool2d<2>> net{Seed{0}};
}
