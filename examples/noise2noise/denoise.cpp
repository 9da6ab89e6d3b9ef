// ctnn_denoise: denoises images with a trained Noise2Noise checkpoint.
//
// Images (PNG or JPEG) of any size of at least 32x32 are denoised in overlapping 32x32 tiles
// (the nets' input), and the overlapping outputs are averaged with a tent-shaped weight so no
// seams show. The networks see RGB in [0, 1]: samples are divided by the largest value of the
// image's bit depth (255 or 65535) on the way in and multiplied by it on the way out, so the
// output keeps the input's bit depth. Gray goes in as three equal channels and the mean of the
// three outputs comes back as gray; alpha does not go through the network at all, it is copied.
// The output is always a PNG (io::write_image): a JPEG's output would lose again what the
// network restored, and could hold neither 16 bits nor alpha.
// A .npy batch (uint8 N x 3 x 32 x 32, the course's layout) is denoised image by image.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/image.hpp"
#include "ctnn/io/npy.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/models/noise2noise.hpp"
#include "options.hpp"

namespace fs = std::filesystem;
using namespace ctnn;
using Tile = Shape<3, 32, 32>;

namespace n2n {

struct DenoiseOptions {
  fs::path checkpoint;
  fs::path out_dir = ".";
  fs::path output;  // --output FILE: with one input, its output file
  int threads = 0;  // 0: all cores
  std::vector<fs::path> inputs;
};

/// The trainer's help layout (options.hpp), without the INPUT positional in the option list:
/// the usage line and the description say what INPUT is.
class DenoiseHelp : public cli::HelpFormatter {
 public:
  using cli::HelpFormatter::HelpFormatter;
  std::string make_option(const CLI::Option* opt, bool is_positional) const override {
    return opt->get_positional() ? "" : cli::HelpFormatter::make_option(opt, is_positional);
  }
};

void add_denoise_options(CLI::App& app, DenoiseOptions& o) {
  const std::string usage =
      "Usage: ctnn_denoise --checkpoint FILE [--out DIR | --output FILE] [--threads N] INPUT...";
  cli::setup(
      app, usage,
      R"(Denoises each INPUT with the network in FILE (a model.safetensors written by ctnn_noise2noise;
the architecture is read from the file):
  *.png, *.jpg, *.jpeg
          an image of at least 32x32: PNG (gray, gray + alpha, RGB or RGBA; 8 or 16 bits per
          sample) or JPEG. Denoised in overlapping 32x32 tiles and written as
          DIR/<name>_denoised.png: a PNG with the input's channels and bit depth, also for a
          JPEG input (JPEG output is not offered: it would lose detail again). Colour is
          denoised; alpha is copied unchanged; gray is denoised as three equal channels and
          the mean of the three outputs is written back as gray.
  *.npy   uint8 N x 3 x 32 x 32: written as DIR/<name>_denoised.npy)",
      "", 22);
  app.formatter(std::make_shared<DenoiseHelp>(usage, 22));
  cli::add_value(app, "--checkpoint", "FILE", o.checkpoint, cli::text<fs::path>(),
                 "trained weights (required)");
  cli::add_value(app, "--out", "DIR", o.out_dir, cli::text<fs::path>(),
                 "output directory (default: the current directory)");
  cli::add_value(app, "--output", "FILE", o.output, cli::text<fs::path>(),
                 "with a single INPUT: write its output to FILE instead (a .png for an\n"
                 "image, a .npy for a .npy)");
  cli::add_value(app, "--threads", "N", o.threads, cli::integer(0),
                 "worker threads (default: all cores)");
  app.add_option("INPUT", o.inputs);
}

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& ch : ext)
    ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return ext;
}

bool is_image_name(const fs::path& p) {
  const std::string ext = lower_extension(p);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

/// Each input's output file: DIR/<stem>_denoised.png for an image (PNG or JPEG),
/// DIR/<stem>_denoised.npy for a .npy, or --output's FILE. Refuses, as usage errors, a --output
/// with several inputs or of the wrong kind (JPEG among them), and two inputs that would be
/// written to the same file (photo.png and photo.jpg).
std::vector<fs::path> output_paths(const DenoiseOptions& o) {
  std::vector<fs::path> outs;
  std::map<fs::path, fs::path> taken;  // output -> the input writing it
  for (const auto& in : o.inputs) {
    const bool image = is_image_name(in);
    fs::path out =
        o.out_dir / (in.stem().string() + "_denoised" + (image ? ".png" : in.extension().string()));
    if (!o.output.empty()) {
      if (o.inputs.size() != 1)
        throw UsageError("--output: names the output of a single INPUT, but " +
                         std::to_string(o.inputs.size()) + " were given (see --help)");
      const std::string ext = lower_extension(o.output);
      if (ext == ".jpg" || ext == ".jpeg")
        throw UsageError("--output: '" + o.output.string() +
                         "': JPEG output is not supported; outputs are PNG (lossless, 8 or 16 "
                         "bits, alpha kept): name it " +
                         fs::path(o.output).replace_extension(".png").string() + " (see --help)");
      if (image && ext != ".png")
        throw UsageError("--output: '" + o.output.string() + "': the output of an image is a .png" +
                         " file (see --help)");
      if (lower_extension(in) == ".npy" && ext != ".npy")
        throw UsageError("--output: '" + o.output.string() + "': the output of " +
                         in.filename().string() + " is a .npy file (see --help)");
      out = o.output;
    }
    const auto [it, fresh] = taken.emplace(out, in);
    if (!fresh)
      throw UsageError(it->second.string() + " and " + in.string() + " would both be written to " +
                       out.string() +
                       " (denoise them in separate runs or into separate --out directories)");
    outs.push_back(out);
  }
  return outs;
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
void denoise_image(Net& net, const fs::path& in, const fs::path& out) {
  const io::Image img = io::read_image(in);
  const int h = int(img.height()), w = int(img.width());
  if (h < 32 || w < 32)
    throw io::FileError(in, "image is " + std::to_string(w) + "x" + std::to_string(h) +
                                ", the network needs at least 32x32");
  // The colour channels: 1 (gray) or 3 (RGB); an alpha channel, if any, follows them.
  const std::size_t colours = img.channels() >= 3 ? 3 : 1, channels = img.channels();
  const float in_scale = float(img.max_value());
  const double out_scale = double(img.max_value());
  const auto ys = tile_origins(h, 32, 16), xs = tile_origins(w, 32, 16);
  std::vector<double> acc(std::size_t(h) * std::size_t(w) * 3, 0.0),
      weight(std::size_t(h) * std::size_t(w), 0.0);
  // Tent weights: tile centres count most, edges (where padding-free convs see least) least.
  double tent[32];
  for (int i = 0; i < 32; ++i)
    tent[i] = 1.0 + std::min(i, 31 - i);
  Batch<Tile> x(xs.size());
  for (int y0 : ys) {
    for (std::size_t k = 0; k < xs.size(); ++k)
      for (std::size_t c = 0; c < 3; ++c)
        for (int y = 0; y < 32; ++y)
          for (int xx = 0; xx < 32; ++xx)
            x(k, c, std::size_t(y), std::size_t(xx)) =
                float(img(std::size_t(y0 + y), std::size_t(xs[k] + xx), colours == 3 ? c : 0)) /
                in_scale;
    const auto& yb = net.forward(x);
    for (std::size_t k = 0; k < xs.size(); ++k)
      for (int y = 0; y < 32; ++y)
        for (int xx = 0; xx < 32; ++xx) {
          const double wgt = tent[y] * tent[xx];
          const std::size_t p = std::size_t(y0 + y) * std::size_t(w) + std::size_t(xs[k] + xx);
          weight[p] += wgt;
          for (std::size_t c = 0; c < 3; ++c)
            acc[p * 3 + c] += wgt * yb(k, c, std::size_t(y), std::size_t(xx));
        }
  }
  io::Image result(img.height(), img.width(), channels, img.bit_depth());
  auto sample = [&](double v) {
    return std::uint16_t(std::lround(std::clamp(v, 0.0, 1.0) * out_scale));
  };
  for (std::size_t p = 0; p < weight.size(); ++p) {
    const double* rgb = &acc[p * 3];
    if (colours == 3)
      for (std::size_t c = 0; c < 3; ++c)
        result.data()[p * channels + c] = sample(rgb[c] / weight[p]);
    else
      result.data()[p * channels] = sample((rgb[0] + rgb[1] + rgb[2]) / (3.0 * weight[p]));
    if (img.has_alpha())
      result.data()[p * channels + channels - 1] = img.data()[p * channels + channels - 1];
  }
  io::write_image(out, result);
}

template <class Net>
void denoise_npy(Net& net, const fs::path& in, const fs::path& out) {
  const auto images = io::load_image_batch(in, 3, 32, 32);
  const std::size_t n = images.shape()[0];
  xt::xarray<std::uint8_t> result(std::vector<std::size_t>{n, 3, 32, 32});
  Batch<Tile> x;
  constexpr std::size_t chunk = 64;
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t m = std::min(chunk, n - first);
    x.resize(m);
    for (std::size_t i = 0; i < m * Tile::size; ++i)
      x.data()[i] = float(images.data()[first * Tile::size + i]) / 255.0f;
    const auto& y = net.forward(x);
    for (std::size_t i = 0; i < m * Tile::size; ++i)
      result.data()[first * Tile::size + i] =
          std::uint8_t(std::lround(std::clamp(y.data()[i], 0.0f, 1.0f) * 255.0f));
  }
  io::save_npy(out, result);
}

template <class Net>
int run(const DenoiseOptions& o, const std::vector<fs::path>& outs) {
  Net net{Seed{0}};
  io::load_weights(net, o.checkpoint);
  for (std::size_t i = 0; i < o.inputs.size(); ++i) {
    const fs::path& in = o.inputs[i];
    if (is_image_name(in))
      denoise_image(net, in, outs[i]);
    else if (lower_extension(in) == ".npy")
      denoise_npy(net, in, outs[i]);
    else
      throw io::FileError(in, "unsupported input: expected a .png, .jpg, .jpeg or .npy file");
    std::printf("%s -> %s\n", in.c_str(), outs[i].c_str());
  }
  return 0;
}

}  // namespace n2n

int main(int argc, char** argv) {
  try {
    n2n::DenoiseOptions o;
    CLI::App app;
    n2n::add_denoise_options(app, o);
    if (!n2n::cli::parse(app, std::vector<std::string>(argv + 1, argv + argc))) {
      std::fputs(app.help().c_str(), stdout);
      return 0;
    }
    if (!o.output.empty() && app.count("--out") > 0)
      throw n2n::UsageError(
          "--output: cannot be used with --out (--output FILE names the file "
          "itself) (see --help)");
    if (o.checkpoint.empty()) throw n2n::UsageError("--checkpoint FILE is required (see --help)");
    if (o.inputs.empty()) throw n2n::UsageError("no input files (see --help)");
    const std::vector<fs::path> outs = n2n::output_paths(o);
    if (o.output.empty() && !fs::is_directory(o.out_dir))
      throw io::FileError(o.out_dir, fs::exists(o.out_dir)
                                         ? "--out: not a directory"
                                         : "--out: output directory does not exist");
    if (o.threads > 0) ctnn::set_num_threads(o.threads);

    // The checkpoint names its architecture; pick the matching model type.
    const io::SafetensorsFile file(o.checkpoint);
    const auto it = file.metadata().find("ctnn_network");
    const std::string arch = it == file.metadata().end() ? "" : it->second;
    if (arch == models::InitialDenoiser<>::name())
      return n2n::run<models::InitialDenoiser<>>(o, outs);
    if (arch == models::FinalDenoiser<>::name()) return n2n::run<models::FinalDenoiser<>>(o, outs);
    if (arch == models::UpsampleDenoiser<>::name())
      return n2n::run<models::UpsampleDenoiser<>>(o, outs);
    throw io::FileError(o.checkpoint,
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
