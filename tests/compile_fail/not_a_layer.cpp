// expect: LayerSpecRequirements<int, ctnn::Shape<8, 6, 6> ?>
// expect: static.assert(ion)? failed.*Sequential: every type after Input<C, H, W> must be a layer spec
// int is not a layer.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, Conv2d<3, 8, 3>, int> net{Seed{0}};
}
