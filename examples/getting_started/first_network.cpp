#include <algorithm>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/checkpoint.hpp>
using namespace ctnn;
// A denoiser for 1 x 16 x 16 images. The network is a type: the compiler checks every layer.
using Net =
    Sequential<Input<1, 16, 16>, Conv2d<1, 8, 3, 1, 1>, ReLU, Conv2d<8, 1, 3, 1, 1>, Sigmoid>;

int main() {
  Rng rng{Seed{1}};
  Batch<Shape<1, 16, 16>> clean(32), noisy(32);  // 32 images: the batch size is a run-time number
  for (std::size_t i = 0; i < clean.size(); ++i) {
    clean.data()[i] = (i / 16) % 2 ? 0.8f : 0.2f;  // striped images, and noisy copies of them
    noisy.data()[i] = clean.data()[i] + float(0.2 * rng.normal());
  }
  Net net{Seed{0}};  // PyTorch's default initialisation, seeded
  Adam<float> opt{net.parameters(), {.lr = 1e-2}};
  MSELoss<Net::output_shape> loss;
  for (int step = 0; step <= 100; ++step) {
    opt.zero_grad();
    float l = loss.forward(net.forward(noisy), clean);  // a target of another shape: compile error
    net.backward_parameters(loss.backward());
    opt.step();
    if (step % 25 == 0) std::printf("step %3d  loss %.4f\n", step, double(l));
  }
  io::save_weights(net, "denoiser.safetensors");  // safetensors, PyTorch's state_dict names
  Net restored{Seed{1}};                          // other initial weights, which loading replaces
  io::load_weights(restored, "denoiser.safetensors");  // checks every name and shape first
  auto trained = net.parameters(), loaded = restored.parameters();  // same names, same order
  int differ = 0;
  for (std::size_t i = 0; i < trained.size(); ++i)
    differ += !std::equal(trained[i].value, trained[i].value + trained[i].size, loaded[i].value);
  std::printf("loaded: %d of %zu tensors differ from the trained ones\n", differ, trained.size());
  return differ == 0 ? 0 : 1;
}
