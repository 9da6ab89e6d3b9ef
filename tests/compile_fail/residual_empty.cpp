// expect: ResidualArguments<0>
// expect: static.assert(ion)? failed.*Residual: the body needs at least one layer
// A residual block without a body.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<4, 10, 10>, Residual<>> net{Seed{0}};
}
