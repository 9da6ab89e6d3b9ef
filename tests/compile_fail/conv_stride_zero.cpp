// expect: static.assert(ion)? failed.*conv layer: Stride must be positive
// expect: ConvArguments<(ctnn::)?Conv2d<3, 8, 3, 0[^>]*>
// A conv with stride 0.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, Conv2d<3, 8, 3, 0>> net{Seed{0}};
}
