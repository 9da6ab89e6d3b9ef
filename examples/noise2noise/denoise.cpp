// ctnn_denoise: denoises images with a trained Noise2Noise checkpoint.
//
// PNG files of any size of at least 32x32 are denoised in overlapping 32x32 tiles (the nets'
// input), and the overlapping outputs are averaged with a tent-shaped weight so no seams show.
// A .npy batch (uint8 N x 3 x 32 x 32, the course's layout) is denoised image by image.

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/npy.hpp"
#include "ctnn/io/png.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/models/noise2noise.hpp"
#include "options.hpp"

namespace fs = std::filesystem;
using namespace ctnn;
using Image = Shape<3, 32, 32>;

namespace n2n {

const char* denoise_usage() {
  return R"(Usage: ctnn_denoise --checkpoint FILE [--out DIR] [--threads N] INPUT...

Denoises each INPUT with the network in FILE (a model.safetensors written by ctnn_noise2noise;
the architecture is read from the file):
  *.png   RGB, 8 bits per channel, at least 32x32: denoised in overlapping 32x32 tiles,
          written as DIR/<name>_denoised.png
  *.npy   uint8 N x 3 x 32 x 32: written as DIR/<name>_denoised.npy

Options:
  --checkpoint FILE   trained weights (required)
  --out DIR           output directory (default: the current directory)
  --threads N         worker threads (default: all cores)
  --help              this text
)";
}

/// Tile origins along one axis: every `step`, plus one flush with the end.
std::vector<int> tile_origins(int size, int tile, int step) {
  std::vector<int> o;
  for (int p = 0; p + tile <= size; p += step)
    o.push_back(p);
  if (o.back() + tile < size) o.push_back(size - tile);
  return o;
}

template <class Net>
void denoise_png(Net& net, const fs::path& in, const fs::path& out) {
  const auto img = io::read_png_rgb(in);  // H x W x 3
  const int h = int(img.shape()[0]), w = int(img.shape()[1]);
  if (h < 32 || w < 32)
    throw io::FileError(in, "image is " + std::to_string(w) + "x" + std::to_string(h) +
                                ", the network needs at least 32x32");
  const auto ys = tile_origins(h, 32, 16), xs = tile_origins(w, 32, 16);
  std::vector<double> acc(std::size_t(h) * std::size_t(w) * 3, 0.0),
      weight(std::size_t(h) * std::size_t(w), 0.0);
  // Tent weights: tile centres count most, edges (where padding-free convs see least) least.
  double tent[32];
  for (int i = 0; i < 32; ++i)
    tent[i] = 1.0 + std::min(i, 31 - i);
  Batch<Image> x(xs.size());
  for (int y0 : ys) {
    for (std::size_t k = 0; k < xs.size(); ++k)
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 32; ++y)
          for (int xx = 0; xx < 32; ++xx)
            x(k, std::size_t(c), std::size_t(y), std::size_t(xx)) =
                float(img(std::size_t(y0 + y), std::size_t(xs[k] + xx), std::size_t(c))) / 255.0f;
    const auto& yb = net.forward(x);
    for (std::size_t k = 0; k < xs.size(); ++k)
      for (int y = 0; y < 32; ++y)
        for (int xx = 0; xx < 32; ++xx) {
          const double wgt = tent[y] * tent[xx];
          const std::size_t p = std::size_t(y0 + y) * std::size_t(w) + std::size_t(xs[k] + xx);
          weight[p] += wgt;
          for (int c = 0; c < 3; ++c)
            acc[p * 3 + std::size_t(c)] +=
                wgt * yb(k, std::size_t(c), std::size_t(y), std::size_t(xx));
        }
  }
  std::vector<std::uint8_t> rgb(acc.size());
  for (std::size_t p = 0; p < weight.size(); ++p)
    for (int c = 0; c < 3; ++c)
      rgb[p * 3 + std::size_t(c)] = std::uint8_t(
          std::lround(std::clamp(acc[p * 3 + std::size_t(c)] / weight[p], 0.0, 1.0) * 255.0));
  io::write_png(out, w, h, 3, rgb.data());
}

template <class Net>
void denoise_npy(Net& net, const fs::path& in, const fs::path& out) {
  const auto images = io::load_image_batch(in, 3, 32, 32);
  const std::size_t n = images.shape()[0];
  xt::xarray<std::uint8_t> result(std::vector<std::size_t>{n, 3, 32, 32});
  Batch<Image> x;
  constexpr std::size_t chunk = 64;
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t m = std::min(chunk, n - first);
    x.resize(m);
    for (std::size_t i = 0; i < m * Image::size; ++i)
      x.data()[i] = float(images.data()[first * Image::size + i]) / 255.0f;
    const auto& y = net.forward(x);
    for (std::size_t i = 0; i < m * Image::size; ++i)
      result.data()[first * Image::size + i] =
          std::uint8_t(std::lround(std::clamp(y.data()[i], 0.0f, 1.0f) * 255.0f));
  }
  io::save_npy(out, result);
}

template <class Net>
int run(const fs::path& checkpoint, const fs::path& out_dir, const std::vector<fs::path>& inputs) {
  Net net{Seed{0}};
  io::load_weights(net, checkpoint);
  for (const auto& in : inputs) {
    const std::string ext = in.extension().string();
    const fs::path out = out_dir / (in.stem().string() + "_denoised" + ext);
    if (ext == ".png")
      denoise_png(net, in, out);
    else if (ext == ".npy")
      denoise_npy(net, in, out);
    else
      throw io::FileError(in, "unsupported input: expected a .png or .npy file");
    std::printf("%s -> %s\n", in.c_str(), out.c_str());
  }
  return 0;
}

}  // namespace n2n

int main(int argc, char** argv) {
  try {
    fs::path checkpoint, out_dir = ".";
    std::vector<fs::path> inputs;
    int threads = 0;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw n2n::UsageError(a + ": missing value (see --help)");
        return argv[++i];
      };
      if (a == "--help" || a == "-h") {
        std::fputs(n2n::denoise_usage(), stdout);
        return 0;
      } else if (a == "--checkpoint") {
        checkpoint = value();
      } else if (a == "--out") {
        out_dir = value();
      } else if (a == "--threads") {
        threads = int(n2n::detail::parse_integer(a, value(), 0));
      } else if (a.rfind("--", 0) == 0) {
        throw n2n::UsageError("unknown option '" + a + "' (see --help)");
      } else {
        inputs.emplace_back(a);
      }
    }
    if (checkpoint.empty()) throw n2n::UsageError("--checkpoint FILE is required (see --help)");
    if (inputs.empty()) throw n2n::UsageError("no input files (see --help)");
    if (!fs::is_directory(out_dir))
      throw io::FileError(out_dir, fs::exists(out_dir) ? "--out: not a directory"
                                                       : "--out: output directory does not exist");
    if (threads > 0) ctnn::set_num_threads(threads);

    // The checkpoint names its architecture; pick the matching model type.
    const io::SafetensorsFile file(checkpoint);
    const auto it = file.metadata().find("ctnn_network");
    const std::string arch = it == file.metadata().end() ? "" : it->second;
    if (arch == models::InitialDenoiser<>::name())
      return n2n::run<models::InitialDenoiser<>>(checkpoint, out_dir, inputs);
    if (arch == models::FinalDenoiser<>::name())
      return n2n::run<models::FinalDenoiser<>>(checkpoint, out_dir, inputs);
    if (arch == models::UpsampleDenoiser<>::name())
      return n2n::run<models::UpsampleDenoiser<>>(checkpoint, out_dir, inputs);
    throw io::FileError(checkpoint,
                        arch.empty()
                            ? "no ctnn_network in its metadata: not written by ctnn_noise2noise"
                            : "unknown network " + arch);
  } catch (const n2n::UsageError& e) {
    std::fprintf(stderr, "ctnn_denoise: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctnn_denoise: error: %s\n", e.what());
    return 1;
  }
}
