// The C++ half of the PyTorch round trip (tests/roundtrip/roundtrip.sh runs both halves):
//   roundtrip write DIR MODEL   trains the model a few Adam steps in ctnn (so the weights are
//                               trained ones, not the initialisation), writes its weights (and
//                               buffers) as DIR/ctnn_weights.safetensors, a fresh input batch as
//                               DIR/input.npy and ctnn's output on it, in evaluation mode, as
//                               DIR/ctnn_output.npy, and the training state of the same network
//                               and optimizer (io::save_training_state: the weights, Adam's
//                               buffers and the trainer's position) as
//                               DIR/ctnn_training_state.safetensors, which the PyTorch half loads
//                               with strict=False
//   roundtrip check DIR MODEL   loads DIR/torch_weights.safetensors (written by PyTorch through
//                               tools/pytorch/checkpoint_roundtrip.py), runs DIR/input.npy in
//                               evaluation mode, and compares with PyTorch's output
//                               DIR/torch_output.npy
// MODEL is initial, final or upsample (ctnn/models/noise2noise.hpp), unet or dncnn
// (ctnn/models/unet.hpp, dncnn.hpp: the PyTorch side builds tools/pytorch/train_reference.py's
// mirrors, whose state_dict names must match exactly), or batchnorm: conv,
// BatchNorm2d, ReLU, conv, whose running statistics and num_batches_tracked (buffers) travel
// with the weights, so that evaluation mode gives the same outputs on both sides.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/npy.hpp"
#include "ctnn/io/training_state.hpp"
#include "ctnn/layers/batch_norm2d.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/noise2noise.hpp"
#include "ctnn/models/unet.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t batch = 2;
constexpr double tolerance = 1e-5;

constexpr std::size_t train_batch = 4;
constexpr int train_steps = 5;

/// checkpoint_roundtrip.py's make_batchnorm_model: nn.Sequential(nn.Conv2d(3, 8, 3, padding=1),
/// nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1)).
using BatchNormModel = Sequential<Input<3, 32, 32>, Conv2d<3, 8, 3, 1, 1>, BatchNorm2d<8>, ReLU,
                                  Conv2d<8, 3, 3, 1, 1>>;

/// Each training forward counts one batch: after train_steps steps on either side every
/// num_batches_tracked must say so (it is loaded, not recomputed).
template <class Net>
bool counts_are(Net& net, std::int64_t want) {
  bool ok = true;
  for (const auto& b : net.buffers())
    if (b.is_integer() && b.integer[0] != want) {
      std::fprintf(stderr, "roundtrip: %s is %lld, expected %lld\n", b.name.c_str(),
                   static_cast<long long>(b.integer[0]), static_cast<long long>(want));
      ok = false;
    }
  return ok;
}

// Uniform values in [0, 1].
void fill_uniform(float* p, std::size_t n, Rng& rng) {
  for (std::size_t i = 0; i < n; ++i)
    p[i] = float(rng.uniform(0.0, 1.0));
}

template <class Net>
int write(const fs::path& dir) {
  Net net{Seed{7}};
  Rng rng{Seed{11}};
  // Noise2Noise in miniature: noisy images against other noisy copies of them.
  Batch<typename Net::input_shape> noisy(train_batch);
  Batch<typename Net::output_shape> target(train_batch);
  fill_uniform(noisy.data(), noisy.size(), rng);
  for (std::size_t i = 0; i < target.size(); ++i)
    target.data()[i] = std::clamp(noisy.data()[i] + float(0.2 * rng.normal()), 0.0f, 1.0f);
  Adam<float> opt{net.parameters(), {.lr = 1e-3}};
  MSELoss<typename Net::output_shape> loss;
  float first = 0, last = 0;
  for (int step = 0; step < train_steps; ++step) {
    opt.zero_grad();
    last = loss.forward(net.forward(noisy), target);
    if (step == 0) first = last;
    net.backward(loss.backward());
    opt.step();
  }
  if (!counts_are(net, train_steps)) return 1;
  net.eval();  // running statistics from here on, as PyTorch's model.eval()
  xt::xtensor<float, 4> x(std::array<std::size_t, 4>{batch, 3, 32, 32});
  fill_uniform(x.data(), x.size(), rng);
  const auto& y = net.forward(x);
  io::save_weights(net, dir / "ctnn_weights.safetensors");
  const io::TrainingProgress progress{
      .epoch = 2, .batches_done = 3, .rng_state = 12345, .values = {{"loss_sum", "0x1p-3"}}};
  io::save_training_state(dir / "ctnn_training_state.safetensors", net, opt, progress);
  io::save_npy(dir / "input.npy", x);
  io::save_npy(dir / "ctnn_output.npy", y.tensor());
  std::printf(
      "roundtrip: trained %d Adam steps in ctnn (loss %.5f -> %.5f), wrote %s/"
      "{ctnn_weights.safetensors, ctnn_training_state.safetensors, input.npy, ctnn_output.npy}\n",
      train_steps, double(first), double(last), dir.c_str());
  return 0;
}

template <class Net>
int check(const fs::path& dir) {
  Net net{Seed{0}};  // other weights than PyTorch's: load_weights must replace them all
  io::load_weights(net, dir / "torch_weights.safetensors");
  if (!counts_are(net, train_steps)) return 1;
  net.eval();
  const auto a = io::load_npy<float>(dir / "input.npy");
  const xt::xtensor<float, 4> x = a;
  const auto& y = net.forward(x);
  const auto want = io::load_npy<float>(dir / "torch_output.npy");
  if (want.size() != y.size()) {
    std::fprintf(stderr, "roundtrip: torch_output.npy has %zu values, ctnn computed %zu\n",
                 want.size(), y.size());
    return 1;
  }
  double worst = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    worst = std::max(worst, std::abs(double(y.data()[i]) - double(want.data()[i])));
  std::printf(
      "roundtrip: PyTorch's weights in ctnn: max |ctnn - PyTorch| = %.3g over %zu outputs"
      " (tolerance %g)\n",
      worst, y.size(), tolerance);
  return worst <= tolerance ? 0 : 1;
}

template <class Net>
int run(const std::string& mode, const fs::path& dir) {
  if (mode == "write") return write<Net>(dir);
  if (mode == "check") return check<Net>(dir);
  std::fprintf(stderr, "roundtrip: unknown mode '%s' (write or check)\n", mode.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: roundtrip write|check DIR initial|final|upsample|batchnorm|unet|dncnn\n");
    return 2;
  }
  try {
    const std::string mode = argv[1], model = argv[3];
    const fs::path dir = argv[2];
    if (model == "initial") return run<models::InitialDenoiser<>>(mode, dir);
    if (model == "final") return run<models::FinalDenoiser<>>(mode, dir);
    if (model == "upsample") return run<models::UpsampleDenoiser<>>(mode, dir);
    if (model == "batchnorm") return run<BatchNormModel>(mode, dir);
    if (model == "unet") return run<models::UNet<>>(mode, dir);
    if (model == "dncnn") return run<models::DnCNN<>>(mode, dir);
    std::fprintf(stderr, "roundtrip: unknown model '%s'\n", model.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roundtrip: error: %s\n", e.what());
    return 1;
  }
}
