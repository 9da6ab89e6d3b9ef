// Inference of one 1920 x 1080 RGB image (batch 1) through the model zoo's denoisers, on 1 and 2
// threads; compare_pytorch.py runs PyTorch on the same image next to it.
//
// - image/unet: the U-Net needs H and W multiples of 32, so the image is padded with 8 rows of
//   zeros below to 1088 x 1920 (PyTorch gets the same padded input). The whole image is one
//   pass: about 9.3 GiB of layer buffers (Sequential keeps every layer's output, and each conv
//   its zero-padded input).
// - image/dncnn_tiles: a whole-image DnCNN pass does not fit in 24 GiB: 17 convs and 15 batch
//   norms at 64 x 1080 x 1920 (530 MB a buffer) keep about 38.7 GiB (per middle layer the conv's
//   output and padded input, BatchNorm2d's normalised input and output, ReLU's output). It is
//   run as 4 overlapping tiles of 557 x 977: each quarter of the image (540 x 960) plus 17
//   pixels towards the image's centre. 17 is the network's receptive-field radius (17 3 x 3
//   convs; eval-mode batch norm and ReLU are per pixel), so each tile's 540 x 960 corner is
//   what the whole-image pass gives there. Each tile keeps about 10.1 GiB; the 4 tiles are
//   4.9 % more pixels than the image, counted in GFLOP/s (work done) but not in images/s.
//
// GFLOP/s counts the conv multiply-adds (x2) of the passes run.

#include <algorithm>
#include <cstddef>
#include <random>

#include <benchmark/benchmark.h>

#include "bench_flags.hpp"
#include "ctnn/ctnn.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/unet.hpp"
#include "layer_profile.hpp"

using namespace ctnn;

namespace {

constexpr int image_h = 1080, image_w = 1920;
/// The U-Net's input: the image padded to multiples of 32.
using UNetImage = models::UNet<1088, 1920>;
/// DnCNN's receptive-field radius: one pixel per 3 x 3 conv.
constexpr int halo = 17;
constexpr int tile_h = image_h / 2 + halo, tile_w = image_w / 2 + halo;
using DnCNNTile = models::DnCNN<tile_h, tile_w>;

/// A 3 x 1080 x 1920 image of uniform values in [0, 1) at the top left of one sample of shape
/// S (at least 1080 x 1920); the rest of the sample is zero.
template <class S>
void fill_image(Batch<S>& b) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::fill(b.data(), b.data() + b.size(), 0.0f);
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t y = 0; y < std::size_t(image_h); ++y)
      for (std::size_t x = 0; x < std::size_t(image_w); ++x)
        b.data()[(c * S::height + y) * S::width + x] = u(rng);
}

void set_counters(benchmark::State& state, double flops_per_image) {
  state.counters["images/s"] =
      benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_image * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_unet(benchmark::State& state) {
  set_num_threads(int(state.range(0)));
  UNetImage net{Seed{0}, Init::kaiming_normal};
  net.eval();
  Batch<UNetImage::input_shape> x(1);
  fill_image(x);
  net.forward(x);  // the first pass sizes the buffers and workspaces
  for (auto _ : state)
    benchmark::DoNotOptimize(net.forward(x).data());
  set_counters(state, bench::Walk<UNetImage>::flops());
  set_num_threads(0);
}

void BM_dncnn_tiles(benchmark::State& state) {
  set_num_threads(int(state.range(0)));
  DnCNNTile net{Seed{0}, Init::kaiming_normal};
  net.eval();
  using ImageShape = Shape<3, image_h, image_w>;
  Batch<ImageShape> image(1), out(1);
  fill_image(image);
  Batch<DnCNNTile::input_shape> tile(1);
  constexpr std::size_t H = image_h, W = image_w, TH = tile_h, TW = tile_w;
  // Tile (ty, tx) starts at row ty * (H - TH), column tx * (W - TW), so the image's quarter
  // (ty, tx) is its corner away from the image's centre.
  auto run = [&] {
    for (std::size_t ty = 0; ty < 2; ++ty)
      for (std::size_t tx = 0; tx < 2; ++tx) {
        const std::size_t r0 = ty * (H - TH), c0 = tx * (W - TW);
        for (std::size_t c = 0; c < 3; ++c)
          for (std::size_t y = 0; y < TH; ++y) {
            const float* src = image.data() + (c * H + r0 + y) * W + c0;
            std::copy(src, src + TW, tile.data() + (c * TH + y) * TW);
          }
        const auto& y = net.forward(tile);
        const std::size_t qr = ty * (H / 2), qc = tx * (W / 2);  // the quarter in the image
        for (std::size_t c = 0; c < 3; ++c)
          for (std::size_t r = 0; r < H / 2; ++r) {
            const float* src = y.data() + (c * TH + qr + r - r0) * TW + (qc - c0);
            std::copy(src, src + W / 2, out.data() + (c * H + qr + r) * W + qc);
          }
      }
    return out.data();
  };
  run();
  for (auto _ : state)
    benchmark::DoNotOptimize(run());
  set_counters(state, 4 * bench::Walk<DnCNNTile>::flops());
  state.counters["tile_pixels/image_pixels"] = 4.0 * double(TH * TW) / double(H * W);
  set_num_threads(0);
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"threads"});
  for (int threads : {1, 2})
    b->Args({threads});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_unet)->Name("image/unet")->Apply(args);
BENCHMARK(BM_dncnn_tiles)->Name("image/dncnn_tiles")->Apply(args);

}  // namespace

// --conv=direct (this program's own flag, bench_flags.hpp): direct convolution only.
int main(int argc, char** argv) {
  bench::take_conv_flag(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
