// expect: ctnn::Shape<0, 8, 8>
// expect: static.assert(ion)? failed.*Shape: channels, height and width must all be positive
// An input with zero channels.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<0, 8, 8>, ReLU> net{Seed{0}};
}
