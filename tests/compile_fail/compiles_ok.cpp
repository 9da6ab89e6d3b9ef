// The control case: a correct network must compile in this setup.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
using Net = Sequential<Input<3, 32, 32>, Conv2d<3, 8, 3>, ReLU,
                       SkipConcat<Conv2d<8, 8, 3, 1, 1>, ReLU>, ConvTranspose2d<16, 3, 3>, Sigmoid>;
static_assert(std::is_same_v<Net::output_shape, Shape<3, 32, 32>>);
void use() {
  Net net{Seed{0}};
  Batch<Shape<3, 32, 32>> x(1);
  MSELoss<Net::output_shape> loss;
  loss.forward(net.forward(x), x);
}
