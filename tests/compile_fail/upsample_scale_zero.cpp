// expect: UpsampleArguments<0>
// expect: static.assert(ion)? failed.*Upsample: Scale must be a positive integer
// Upsampling by 0.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, Upsample<0>> net{Seed{0}};
}
