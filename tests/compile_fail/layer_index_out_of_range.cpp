// expect: (I = 2|layer<2UL>)
// expect: static.assert(ion)? failed.*Sequential::layer<I>: I is out of range
// A two-layer network has no layer<2>.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, Conv2d<3, 8, 3>, ReLU> net{Seed{0}};
  net.layer<2>();
}
