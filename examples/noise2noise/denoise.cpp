// ctnn_denoise: denoises images with a trained Noise2Noise checkpoint.
//
// The checkpoint names its model (initial, final, upsample, unet or dncnn); the weights do not
// depend on the input size, so the tool runs the model on large tiles: 128 x 128 for the
// course's models, 256 x 256 for the U-Net and DnCNN (tiling.hpp). Tiles overlap by twice the
// model's margin (its receptive field's radius: 4 for initial and final, 7 for upsample, 17 for
// DnCNN; 32 for the U-Net, whose receptive field no tile holds), and each output pixel is taken
// only from tiles in which it is at least the margin from any edge inside the image, averaged
// with a tent weight. So for every model but the U-Net the result is that of one pass of the
// network over the whole image, up to float rounding: no seams. The U-Net sees its tiles on the
// whole image's pooling grid (origins at multiples of 32) with at least 32 pixels of context
// each side; its result differs from a whole-image pass by what lies beyond that context
// (docs/denoise.md has the measured differences). The image is first mirror-padded at the
// bottom and right to a multiple of the model's stride (4 for upsample, 32 for the U-Net).
// An image with a side shorter than the large tile goes through 32 x 32 tiles with the course's
// models (still exact) and is mirror-padded up to the large tile for the U-Net and DnCNN.
//
// The networks see RGB in [0, 1]: samples are divided by the largest value of the
// image's bit depth (255 or 65535) on the way in and multiplied by it on the way out, so the
// output keeps the input's bit depth. Gray goes in as three equal channels and the mean of the
// three outputs comes back as gray; alpha does not go through the network at all, it is copied.
// The output is always a PNG (io::write_image): a JPEG's output would lose again what the
// network restored, and could hold neither 16 bits nor alpha.
// A .npy batch (uint8 N x 3 x 32 x 32, the course's layout) is denoised image by image, each
// 32 x 32 image in one pass.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "conv_precision.hpp"
#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/image.hpp"
#include "ctnn/io/npy.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/noise2noise.hpp"
#include "ctnn/models/unet.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "tiling.hpp"

namespace fs = std::filesystem;
using namespace ctnn;
using Tile = Shape<3, 32, 32>;

namespace n2n {

struct DenoiseOptions {
  fs::path checkpoint;
  fs::path out_dir = ".";
  fs::path output;  // --output FILE: with one input, its output file
  int threads = 0;  // 0: all cores
  std::string conv = "auto";
  std::string precision = "fp32";
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
      "Usage: ctnn_denoise --checkpoint FILE [--out DIR | --output FILE] [--threads N]\n"
      "                    [--conv auto|direct] [--precision fp32|bf16] INPUT...";
  cli::setup(
      app, usage,
      R"(Denoises each INPUT with the network in FILE (a model.safetensors written by ctnn_noise2noise;
the model, initial, final, upsample, unet or dncnn, is read from the file):
  *.png, *.jpg, *.jpeg
          an image of at least 32x32: PNG (gray, gray + alpha, RGB or RGBA; 8 or 16 bits per
          sample) or JPEG. Written as DIR/<name>_denoised.png: a PNG with the input's channels
          and bit depth, also for a JPEG input (JPEG output is not offered: it would lose
          detail again). Colour is denoised; alpha is copied unchanged; gray is denoised as
          three equal channels and the mean of the three outputs is written back as gray.
  *.npy   uint8 N x 3 x 32 x 32: written as DIR/<name>_denoised.npy

Tiles: the image is denoised in overlapping square tiles, each output pixel taken only from
tiles in which it lies at least the model's margin from any tile edge inside the image:
  model     tile     margin (overlap >= 2 x margin) result
  initial   128x128  4  (receptive field 9x9)        equal to one pass over the whole image
  final     128x128  4  (receptive field 9x9)        up to float rounding: no seams
  upsample  128x128  7  (origins at multiples of 4)
  dncnn     256x256  17 (receptive field 35x35)      (BatchNorm in evaluation mode)
  unet      256x256  32 (origins at multiples of 32) blended; differs from one whole-image pass
                        by the context beyond 32 pixels (see docs/denoise.md)
An image smaller than the tile uses 32x32 tiles (initial, final, upsample) or is mirror-padded
to the tile (dncnn, unet); upsample and unet pad every image to a multiple of 4 and 32.)",
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
  cli::add_value(app, "--conv", "NAME", o.conv, cli::one_of({"auto", "direct"}),
                 "convolution algorithm: auto (default: Winograd where the kernels'\n"
                 "throughput model expects it to be faster) or direct");
  cli::add_value(app, "--precision", "NAME", o.precision, cli::one_of({"fp32", "bf16"}),
                 cli::precision_help);
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

/// How a model runs on images: its large tile (a square side), and what an image with a side
/// shorter than that gets.
struct ModelPlan {
  TileGeometry geometry;
  /// true: such an image goes through 32 x 32 tiles (exact for the course models, whose
  /// margins fit in 32 pixels). false: it is extended by mirror reflection to the large tile
  /// (DnCNN and the U-Net, whose margins do not fit in 32 pixels).
  bool small_tiles;
};

/// Progress through one input's tiles or images (progress.hpp: a bar on a terminal, a line every
/// 10 % or every minute elsewhere), shown only for a large input: at least `min_items` of them.
class InputProgress {
 public:
  InputProgress(const fs::path& input, ProgressUnits units, std::size_t min_items)
      : label_(input.filename().string() + ": "), units_(units), min_items_(min_items) {}
  InputProgress(const InputProgress&) = delete;
  InputProgress& operator=(const InputProgress&) = delete;
  ~InputProgress() {
    if (bar_) bar_->finish();
  }
  void operator()(std::size_t done, std::size_t total) {
    if (total < min_items_) return;
    if (!bar_) bar_.emplace(total, label_, units_);
    bar_->update(done, done);
  }

 private:
  std::string label_;
  ProgressUnits units_;
  std::size_t min_items_;
  std::optional<ProgressBar> bar_;
};

/// Inputs with at least this many tiles or images report their progress: a 1920 x 1080 photo
/// (144 tiles of 128 x 128 for the course's models), a .npy of 4096 images or more.
constexpr std::size_t progress_min_tiles = 64, progress_min_images = 4096;

/// The image's RGB planes in [0, 1] (gray as three equal channels).
RgbPlanes to_planes(const io::Image& img) {
  const int h = int(img.height()), w = int(img.width());
  const std::size_t colours = img.channels() >= 3 ? 3 : 1, channels = img.channels();
  const float scale = float(img.max_value());
  RgbPlanes p(h, w);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        p(c, y, x) =
            float(img.data()[(std::size_t(y) * std::size_t(w) + std::size_t(x)) * channels +
                             (colours == 3 ? std::size_t(c) : 0)]) /
            scale;
  return p;
}

/// Denoises an image with `small` (32 x 32) or `large` (the model's large tile) as `plan`
/// says; see the file comment.
template <class Small, class Large>
void denoise_image(Small& small, Large& large, const ModelPlan& plan, const fs::path& in,
                   const fs::path& out) {
  constexpr int tile = Large::input_shape::height;
  const io::Image img = io::read_image(in);
  const int h = int(img.height()), w = int(img.width());
  if (h < 32 || w < 32)
    throw io::FileError(in, "image is " + std::to_string(w) + "x" + std::to_string(h) +
                                ", the network needs at least 32x32");
  const TileGeometry g = plan.geometry;
  const RgbPlanes padded = pad_to_multiple(to_planes(img), g.align);
  RgbPlanes result;
  {
    InputProgress progress(in, {"tiles", "tiles/s"}, progress_min_tiles);
    const auto report = std::ref(progress);
    if (padded.height >= tile && padded.width >= tile)
      result = run_tiled(large, padded, g, 1, report);
    else if (plan.small_tiles)
      result = run_tiled(small, padded, g, 32, report);
    else
      result = run_tiled(
          large, pad_reflect(padded, std::max(tile, padded.height), std::max(tile, padded.width)),
          g, 1, report);
  }

  const std::size_t colours = img.channels() >= 3 ? 3 : 1, channels = img.channels();
  const double out_scale = double(img.max_value());
  io::Image denoised(img.height(), img.width(), channels, img.bit_depth());
  auto sample = [&](double v) {
    return std::uint16_t(std::lround(std::clamp(v, 0.0, 1.0) * out_scale));
  };
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const std::size_t p = std::size_t(y) * std::size_t(w) + std::size_t(x);
      if (colours == 3)
        for (int c = 0; c < 3; ++c)
          denoised.data()[p * channels + std::size_t(c)] = sample(result(c, y, x));
      else
        denoised.data()[p * channels] =
            sample((double(result(0, y, x)) + result(1, y, x) + result(2, y, x)) / 3.0);
      if (img.has_alpha())
        denoised.data()[p * channels + channels - 1] = img.data()[p * channels + channels - 1];
    }
  io::write_image(out, denoised);
}

template <class Net>
void denoise_npy(Net& net, const fs::path& in, const fs::path& out) {
  const auto images = io::load_image_batch(in, 3, 32, 32);
  const std::size_t n = images.shape()[0];
  xt::xarray<std::uint8_t> result(std::vector<std::size_t>{n, 3, 32, 32});
  Batch<Tile> x;
  constexpr std::size_t chunk = 64;
  InputProgress progress(in, {"images", "img/s"}, progress_min_images);
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t m = std::min(chunk, n - first);
    x.resize(m);
    for (std::size_t i = 0; i < m * Tile::size; ++i)
      x.data()[i] = float(images.data()[first * Tile::size + i]) / 255.0f;
    const auto& y = net.forward(x);
    for (std::size_t i = 0; i < m * Tile::size; ++i)
      result.data()[first * Tile::size + i] =
          std::uint8_t(std::lround(std::clamp(y.data()[i], 0.0f, 1.0f) * 255.0f));
    progress(first + m, n);
  }
  io::save_npy(out, result);
}

/// Loads the checkpoint into `Net` (the model at 32 x 32, for .npy batches and small tiles)
/// and into the model at its large tile, and denoises every input.
template <class Net, int LargeTile>
int run(const DenoiseOptions& o, const std::vector<fs::path>& outs, const ModelPlan& plan) {
  Net net{Seed{0}};
  Resized<Net, LargeTile> large{Seed{0}};
  io::load_weights(net, o.checkpoint);
  io::load_weights(large, o.checkpoint);
  net.eval();  // BatchNorm2d (DnCNN) normalises with its running statistics
  large.eval();
  for (std::size_t i = 0; i < o.inputs.size(); ++i) {
    const fs::path& in = o.inputs[i];
    if (is_image_name(in))
      denoise_image(net, large, plan, in, outs[i]);
    else if (lower_extension(in) == ".npy")
      denoise_npy(net, in, outs[i]);
    else
      throw io::FileError(in, "unsupported input: expected a .png, .jpg, .jpeg or .npy file");
    std::printf("%s -> %s\n", in.c_str(), outs[i].c_str());
  }
  return 0;
}

/// Whether the checkpoint holds `Net`'s weights: its recorded network has Net's layers, or,
/// without that record (a state_dict saved elsewhere), its tensors are exactly Net's.
template <class Net>
bool holds(const io::SafetensorsFile& file) {
  const auto it = file.metadata().find("ctnn_network");
  if (it != file.metadata().end())
    return io::network_layers(it->second) == io::network_layers(Net::name());
  Net net{Seed{0}};
  try {
    io::check_state_match(file, net.parameters(), io::buffers_of(net), Net::name());
    return true;
  } catch (const io::FileError&) {
    return false;
  }
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
    if (o.conv == "direct") ctnn::set_conv_algorithm(ctnn::ConvAlgorithm::direct);
    // bf16 where the CPU runs it; elsewhere fp32 and one line saying so.
    const n2n::PrecisionChoice precision = n2n::apply_precision(o.precision, "ctnn_denoise");
    if (!precision.note.empty()) std::fprintf(stderr, "%s\n", precision.note.c_str());

    // The checkpoint names its architecture (or its tensors do); pick the matching model.
    // Tiles: 128 x 128 for the course's models (a 1920x1080 photo is faster than with 256:
    // their activations stay in cache), 256 x 256 for the U-Net and DnCNN (less overlap to
    // recompute); docs/denoise.md has the measurements.
    const io::SafetensorsFile file(o.checkpoint);
    using namespace n2n;
    if (holds<models::InitialDenoiser<>>(file))
      return run<models::InitialDenoiser<>, 128>(o, outs, {course_geometry, true});
    if (holds<models::FinalDenoiser<>>(file))
      return run<models::FinalDenoiser<>, 128>(o, outs, {course_geometry, true});
    if (holds<models::UpsampleDenoiser<>>(file))
      return run<models::UpsampleDenoiser<>, 128>(o, outs, {upsample_geometry, true});
    if (holds<models::UNet<32, 32>>(file))
      return run<models::UNet<32, 32>, 256>(o, outs, {unet_geometry, false});
    if (holds<models::DnCNN<32, 32>>(file))
      return run<models::DnCNN<32, 32>, 256>(o, outs, {dncnn_geometry, false});
    const auto it = file.metadata().find("ctnn_network");
    throw io::FileError(o.checkpoint,
                        it == file.metadata().end()
                            ? "no ctnn_network in its metadata, and its tensors are those of none "
                              "of the models initial, final, upsample, unet, dncnn"
                            : "unknown network " + it->second);
  } catch (const n2n::UsageError& e) {
    std::fprintf(stderr, "ctnn_denoise: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctnn_denoise: error: %s\n", e.what());
    return 1;
  }
}
