// expect: Conv2dArguments<3, 8, 3, 0, 0, 1>
// expect: static.assert(ion)? failed.*Conv2d: Stride must be positive
// A conv with stride 0.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, Conv2d<3, 8, 3, 0>> net{Seed{0}};
}
