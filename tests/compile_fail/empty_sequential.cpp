// expect: SequentialLength<0>
// expect: static.assert(ion)? failed.*Sequential: the layer list is empty
// A network without layers.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>> net{Seed{0}};
}
