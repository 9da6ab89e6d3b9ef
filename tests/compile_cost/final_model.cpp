// The compile-cost probe of docs/compile-cost.md (a): includes <ctnn/ctnn.hpp>, defines the
// course's final model and trains it for a few steps on random data. Measured by
// tools/ci/measure_compile_cost.sh; ctest also builds and runs it (compile_cost.final_model).
#include <cstdio>

#include <ctnn/ctnn.hpp>

using namespace ctnn;

// Conv -> ReLU -> [Conv -> ReLU -> ConvT -> ReLU] ++ skip -> ConvT -> Sigmoid, 3 x 32 x 32.
using FinalModel =
    Sequential<Input<3, 32, 32>, Conv2d<3, 100, 3>, ReLU,
               SkipConcat<Conv2d<100, 100, 3>, ReLU, ConvTranspose2d<100, 100, 3>, ReLU>,
               ConvTranspose2d<200, 3, 3>, Sigmoid>;
static_assert(std::is_same_v<FinalModel::output_shape, Shape<3, 32, 32>>);

int main() {
  Rng rng{Seed{1}};
  Batch<Shape<3, 32, 32>> noisy(4), clean(4);
  for (std::size_t i = 0; i < clean.size(); ++i) {
    clean.data()[i] = float(rng.uniform01());
    noisy.data()[i] = clean.data()[i] + float(0.1 * rng.normal());
  }
  FinalModel net{Seed{0}};
  Adam<float> opt{net.parameters(), {.lr = 1e-3}};
  MSELoss<FinalModel::output_shape> loss;
  float first = 0, last = 0;
  for (int step = 0; step < 5; ++step) {
    opt.zero_grad();
    last = loss.forward(net.forward(noisy), clean);
    if (step == 0) first = last;
    net.backward(loss.backward());
    opt.step();
  }
  std::printf("final model: loss %.5f -> %.5f\n", double(first), double(last));
  return last < first ? 0 : 1;
}
