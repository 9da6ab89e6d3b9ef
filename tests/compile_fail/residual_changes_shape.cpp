// expect: ResidualBody<ctnn::Shape<3, 16, 16>, ctnn::Shape<8, 16, 16> ?>
// expect: static.assert(ion)? failed.*Residual: the body changes the shape
// A body that ends with 8 channels cannot be added to a 3-channel input.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 16, 16>, Residual<Conv2d<3, 8, 3, 1, 1>, ReLU>> net{Seed{0}};
}
