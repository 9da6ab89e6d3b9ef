// expect: mse.*Shape<3, 8, 8>, [a-z:]*Shape<1, 8, 8>
// expect: static.assert(ion)? failed.*mse: the target.s per-sample shape differs from the prediction.s
// A 3-channel prediction against a 1-channel target.
#include <ctnn/ctnn.hpp>
using namespace ctnn;
float use() {
  Batch<Shape<3, 8, 8>> y(1);
  Batch<Shape<1, 8, 8>> t(1);
  return mse(y, t);
}
