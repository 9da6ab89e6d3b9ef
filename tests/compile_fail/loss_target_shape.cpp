// expect: (TargetShape = ctnn::Shape<3, 32, 32>|forward<ctnn::Shape<3, 32, 32> ?>)
// expect: static.assert(ion)? failed.*MSELoss: the target.s per-sample shape differs from the prediction.s
// The net outputs 3x30x30 but the target is 3x32x32.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  using Net = Sequential<Input<3, 32, 32>, Conv2d<3, 3, 3>>;
  Net net{Seed{0}};
  Batch<Shape<3, 32, 32>> x(1), target(1);
  MSELoss<Net::output_shape> loss;
  loss.forward(net.forward(x), target);
}
