// expect: UNetSize<48, 32>
// expect: static.assert(ion)? failed.*UNet<H, W>: H and W must be positive multiples of 32
// Five 2x2 poolings need H and W divisible by 32.
#include <ctnn/models/unet.hpp>
using namespace ctnn;
void use() {
  models::UNet<48, 32> net{Seed{0}};
}
