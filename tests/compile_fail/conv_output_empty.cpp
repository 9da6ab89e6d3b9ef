// expect: Conv2dInput<ctnn::Conv2d<3, 8, 5[0-9, ]*>, ctnn::Shape<3, 4, 4> ?>
// expect: static.assert(ion)? failed.*Conv2d: the output would be empty
// A 5x5 kernel does not fit a 4x4 input without padding.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 4, 4>, Conv2d<3, 8, 5>> net{Seed{0}};
}
