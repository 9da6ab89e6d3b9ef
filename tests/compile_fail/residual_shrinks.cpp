// expect: ResidualBody<ctnn::Shape<4, 10, 10>, ctnn::Shape<4, 8, 8> ?>
// expect: static.assert(ion)? failed.*Residual: the body changes the shape
// DnCNN's InputMinus with an unpadded conv: 10x10 becomes 8x8 and cannot be subtracted.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<4, 10, 10>, InputMinus<Conv2d<4, 4, 3>>> net{Seed{0}};
}
