// A program that uses an installed ctnn: defines a small network, trains it for a few steps to
// reproduce its input, checks that the loss falls, saves the weights and loads them back into
// a second network that must then compute the same output. Exit status 0 means all held.
#include <cstdio>
#include <filesystem>

#include <ctnn/ctnn.hpp>
#include <ctnn/io/checkpoint.hpp>

using namespace ctnn;

// 1 x 8 x 8 images -> 8 feature maps -> back to 1 x 8 x 8 in [0, 1].
using Net = Sequential<Input<1, 8, 8>, Conv2d<1, 8, 3, 1, 1>, ReLU, Conv2d<8, 1, 3, 1, 1>, Sigmoid>;
static_assert(std::is_same_v<Net::output_shape, Shape<1, 8, 8>>);

int main() {
  std::printf("ctnn %s\n", ctnn::version_string);

  // A fixed batch of 16 random images in [0.2, 0.8]; the target is the input itself.
  Rng rng{Seed{1}};
  Batch<Shape<1, 8, 8>> x(16);
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = float(rng.uniform(0.2, 0.8));

  Net net{Seed{0}};
  Adam<float> opt{net.parameters(), {.lr = 1e-2}};
  MSELoss<Net::output_shape> loss;

  float first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    opt.zero_grad();
    last = loss.forward(net.forward(x), x);
    if (step == 0) first = last;
    net.backward_parameters(loss.backward());
    opt.step();
  }
  std::printf("loss: %.6f at step 0, %.6f at step 59\n", double(first), double(last));
  if (!(last < 0.5f * first)) {
    std::printf("FAIL: the loss did not fall by half\n");
    return 1;
  }

  // Save, load into a differently initialised network, compare outputs.
  const std::filesystem::path path = "consumer_weights.safetensors";  // in the working directory
  io::save_weights(net, path);
  Net restored{Seed{42}};
  io::load_weights(restored, path);
  std::filesystem::remove(path);
  const auto& a = net.forward(x);
  const auto& b = restored.forward(x);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.data()[i] != b.data()[i]) {
      std::printf("FAIL: the loaded network computes another output\n");
      return 1;
    }
  }
  std::printf("OK: the loss fell and the saved weights load back\n");
  return 0;
}
