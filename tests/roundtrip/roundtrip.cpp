// The C++ half of the PyTorch round trip (tests/roundtrip/roundtrip.sh runs both halves):
//   roundtrip write DIR MODEL   ctnn's weights (seeded init) as DIR/ctnn_weights.safetensors,
//                               an input batch as DIR/input.npy and ctnn's output on it as
//                               DIR/ctnn_output.npy
//   roundtrip check DIR MODEL   loads DIR/torch_weights.safetensors (written by PyTorch through
//                               tools/checkpoint_roundtrip.py), runs DIR/input.npy, and
//                               compares with PyTorch's output DIR/torch_output.npy
// MODEL is initial, final or upsample (ctnn/models/noise2noise.hpp).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/npy.hpp"
#include "ctnn/models/noise2noise.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t batch = 2;
constexpr double tolerance = 1e-5;

template <class Net>
int write(const fs::path& dir) {
  Net net{Seed{7}};
  Rng rng{Seed{11}};
  xt::xtensor<float, 4> x(std::array<std::size_t, 4>{batch, 3, 32, 32});
  for (auto& v : x)
    v = float(rng.uniform(0.0, 1.0));
  const auto& y = net.forward(x);
  io::save_weights(net, dir / "ctnn_weights.safetensors");
  io::save_npy(dir / "input.npy", x);
  io::save_npy(dir / "ctnn_output.npy", y.tensor());
  std::printf("roundtrip: wrote %s/{ctnn_weights.safetensors, input.npy, ctnn_output.npy}\n",
              dir.c_str());
  return 0;
}

template <class Net>
int check(const fs::path& dir) {
  Net net{Seed{0}};  // other weights than PyTorch's: load_weights must replace them all
  io::load_weights(net, dir / "torch_weights.safetensors");
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
    std::fprintf(stderr, "usage: roundtrip write|check DIR initial|final|upsample\n");
    return 2;
  }
  try {
    const std::string mode = argv[1], model = argv[3];
    const fs::path dir = argv[2];
    if (model == "initial") return run<models::InitialDenoiser<>>(mode, dir);
    if (model == "final") return run<models::FinalDenoiser<>>(mode, dir);
    if (model == "upsample") return run<models::UpsampleDenoiser<>>(mode, dir);
    std::fprintf(stderr, "roundtrip: unknown model '%s'\n", model.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roundtrip: error: %s\n", e.what());
    return 1;
  }
}
