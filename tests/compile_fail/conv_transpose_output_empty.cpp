// expect: ConvTranspose2dInput<ctnn::ConvTranspose2d<3, 3, 3, 1, 5[0-9, ]*>, ctnn::Shape<3, 2, 2> ?>
// expect: static.assert(ion)? failed.*ConvTranspose2d: the output would be empty
// Padding 5 removes more than a 2x2 input grows to.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 2, 2>, ConvTranspose2d<3, 3, 3, 1, 5>> net{Seed{0}};
}
