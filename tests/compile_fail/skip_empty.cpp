// expect: SkipConcatArguments<0>
// expect: static.assert(ion)? failed.*SkipConcat: the inner path needs at least one layer
// A skip block without an inner path.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3>, SkipConcat<>> net{Seed{0}};
}
