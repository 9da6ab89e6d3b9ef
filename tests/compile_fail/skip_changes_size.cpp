// expect: SkipConcatInner<ctnn::Shape<3, 32, 32>, ctnn::Shape<8, 30, 30> ?>
// expect: static.assert(ion)? failed.*SkipConcat: the inner path changes the height or width
// An unpadded 3x3 conv shrinks 32x32 to 30x30, which cannot be concatenated with the input.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 32, 32>, SkipConcat<Conv2d<3, 8, 3>, ReLU>, Conv2d<11, 3, 3>> net{Seed{0}};
}
