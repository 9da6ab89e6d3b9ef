// ctnn_build_dataset: turns a directory of photos into Noise2Noise training data in the
// course's layout (uint8 N x 3 x 32 x 32 .npy files), or measures the noise of existing data.
//
// The course's own pairs come as .pkl files we cannot ship; this builds a stand-in from free
// photos (tools/data/fetch_photos.sh fetches some from Debian packages) with noise whose statistics
// mimic the course's (docs/data.md). The work itself lives in photo_dataset.hpp beside it.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <tbb/global_control.h>
#include <unistd.h>

#include "ctnn/io/npy.hpp"
#include "noise_stats.hpp"
#include "options.hpp"
#include "photo_dataset.hpp"

namespace fs = std::filesystem;
using namespace ctnn;

namespace {

constexpr const char* description =
    R"(Builds Noise2Noise training data from photos: every photo is box-downsampled to several scales
(short side 32..256 pixels), cut into non-overlapping 32x32 tiles, near-flat tiles are dropped,
and the photos are split between training and validation (no photo in both). When the training
photos give fewer tiles than --train, tiles are also used mirrored and rotated (up to 8
orientations, each with its own noise draws). --detail course draws the tiles by detail so that
their distribution matches the course's thumbnails. Writes to --out:
  train_input.npy, train_target.npy  two independent noisy draws of the same clean tiles
  val_input.npy, val_target.npy      noisy and clean validation tiles
  manifest.json                      parameters, photos of each split, noise statistics
all uint8 N x 3 x 32 x 32. Same photos + same seed = byte-identical files.)";

struct Options {
  n2n::PhotoDatasetOptions build;
  fs::path out = "data";
  std::optional<fs::path> stats;
  int threads = 0;
  bool help = false;
};

/// --short-side MIN:MAX.
std::pair<std::size_t, std::size_t> parse_short_side(const std::string& text) {
  const auto colon = text.find(':');
  try {
    if (colon != std::string::npos) {
      const auto min = n2n::cli::parse_integer<std::size_t>(text.substr(0, colon), 32);
      return {min, n2n::cli::parse_integer<std::size_t>(text.substr(colon + 1), min)};
    }
  } catch (const std::invalid_argument&) {
  }
  throw std::invalid_argument("expected MIN:MAX with 32 <= MIN <= MAX, got '" + text + "'");
}

/// The options, bound to `o`, with their help.
void add_options(CLI::App& app, Options& o, std::pair<std::size_t, std::size_t>& short_side) {
  n2n::cli::setup(app,
                  "Usage: ctnn_build_dataset --photos DIR [options]\n"
                  "       ctnn_build_dataset --stats DIR",
                  description, "", 19);
  using n2n::cli::add_value, n2n::cli::integer, n2n::cli::text;
  add_value(app, "--photos", "DIR", o.build.photos, text<fs::path>(),
            "photos (.jpg, .jpeg, .png; searched recursively); fetch free ones with\n"
            "tools/data/fetch_photos.sh (they land in ~/.cache/ctnn/photos)");
  add_value(app, "--out", "DIR", o.out, text<fs::path>(),
            "output directory, created if needed (default: data)");
  add_value(app, "--train", "N", o.build.train_count, integer<std::size_t>(1),
            "training pairs (default 50000)");
  add_value(app, "--val", "N", o.build.val_count, integer<std::size_t>(1),
            "validation pairs (default 1000)");
  add_value(app, "--noise", "MODEL", o.build.noise, n2n::parse_noise_model,
            "course (default: mimics the course's noise statistics, its strength\n"
            "following the clean image's local texture and intensity as the\n"
            "course's does; course-texture is its earlier name),\n"
            "course-flat (the earlier default: the same strength on flat and\n"
            "textured areas),\n"
            "gaussian:SIGMA, gaussian:MIN-MAX (blind: sigma drawn per image\n"
            "uniformly from [MIN, MAX], e.g. the Noise2Noise paper's 0-50) or\n"
            "poisson:PEAK (0..255 scale; peak = photons at white)");
  add_value(
      app, "--val-noise", "MODEL", o.build.val_noise,
      [](const std::string& text) { return std::optional(n2n::parse_noise_model(text)); },
      "the validation inputs' noise, as --noise (default: --noise's;\n"
      "the paper validates its blind Gaussian models at gaussian:25)");
  add_value(app, "--seed", "S", o.build.seed, integer<std::uint64_t>(0),
            "seed for the split, the tile choice and the noise (default 0)");
  add_value(app, "--threads", "N", o.threads, integer(0), "worker threads (default: all cores)");
  add_value(app, "--short-side", "MIN:MAX", short_side, parse_short_side,
            "scales: every integer downsampling factor that brings a photo's short side\n"
            "into MIN..MAX pixels (default 32:256)");
  add_value(app, "--min-std", "X", o.build.min_tile_std,
            n2n::cli::number({.low = 0, .low_closed = true}),
            "drop tiles whose luma std is below X (0..255 scale; default 3)");
  add_value(
      app, "--detail", "WHICH", o.build.detail,
      [](const std::string& text) {
        if (text == "any") return n2n::TileDetail::any;
        if (text == "course") return n2n::TileDetail::course;
        throw std::invalid_argument("expected any or course, got '" + text + "'");
      },
      "which tiles each split draws: course (default: by detail, a quarter in\n"
      "each of 18-24, 24-27, 27-32.5, 32.5-43.5, so the quartiles are the\n"
      "course's 24 / 27 / 32.5; detail = mean abs. difference of neighbouring\n"
      "values, across plus down; a bin short of tiles draws them again,\n"
      "turned, then repeated) or any (every kept tile alike: the earlier\n"
      "default)");
  add_value(
      app, "--train-photos", "N", o.build.train_photos,
      [](const std::string& text) {
        return std::optional(n2n::cli::parse_integer<std::size_t>(text, 1));
      },
      "use only N of the training photos (the first N in the split's seeded\n"
      "order: N photos are part of any larger N); the validation photos stay\n"
      "the same (default: all)");
  add_value(app, "--stats", "DIR", o.stats, text<fs::path>(),
            "only print the noise statistics of DIR/val_input.npy against\n"
            "DIR/val_target.npy (e.g. the course's data converted by "
            "tools/data/ee559_to_npy.py)");
}

std::string usage() {
  Options o;
  std::pair<std::size_t, std::size_t> short_side;
  CLI::App app;
  add_options(app, o, short_side);
  return app.help();
}

/// The options from the arguments (after the program's name). Throws n2n::UsageError.
Options parse_options(const std::vector<std::string>& args) {
  Options o;
  std::pair short_side{o.build.min_short_side, o.build.max_short_side};
  CLI::App app;
  add_options(app, o, short_side);
  o.help = !n2n::cli::parse(app, args);
  std::tie(o.build.min_short_side, o.build.max_short_side) = short_side;
  if (!o.help && !o.stats && app.count("--photos") == 0)
    throw n2n::UsageError(
        "--photos DIR is required (see --help; tools/data/fetch_photos.sh fetches free "
        "photos)");
  return o;
}

int print_stats(const fs::path& dir) {
  const auto noisy = io::load_image_batch(dir / "val_input.npy", 3, 32, 32);
  const auto clean = io::load_image_batch(dir / "val_target.npy", 3, 32, 32);
  if (noisy.shape()[0] != clean.shape()[0])
    throw io::FileError(dir / "val_target.npy", "holds " + std::to_string(clean.shape()[0]) +
                                                    " images, val_input.npy " +
                                                    std::to_string(noisy.shape()[0]));
  const auto s = n2n::measure_noise(noisy.data(), clean.data(), noisy.shape()[0], 32 * 32);
  std::printf("%s: %zu pairs (val_input vs val_target)\n%s", dir.string().c_str(), s.images,
              n2n::format_noise_stats(s).c_str());
  return 0;
}

int build(const Options& o) {
  const auto start = std::chrono::steady_clock::now();
  // Check the output directory before the minutes of work, not after.
  std::error_code ec;
  if (fs::exists(o.out, ec) && !fs::is_directory(o.out, ec))
    throw io::FileError(o.out, "exists and is not a directory (--out needs a directory)");
  fs::create_directories(o.out, ec);
  if (ec) throw io::FileError(o.out, "cannot create the output directory: " + ec.message());
  if (::access(o.out.c_str(), W_OK | X_OK) != 0)
    throw io::FileError(o.out, "the output directory is not writable");

  const n2n::PhotoDataset ds = n2n::build_photo_dataset(o.build);
  n2n::write_photo_dataset(ds, o.build, o.out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::size_t train_photos = 0, val_photos = 0, left_out = 0, cut = 0, kept = 0;
  for (const auto& p : ds.photos) {
    (p.left_out ? left_out : p.validation ? val_photos : train_photos) += 1;
    if (p.left_out) continue;
    cut += p.tiles_cut;
    kept += p.tiles_kept;
  }
  std::printf("photos: %zu (%zu train, %zu validation", ds.photos.size(), train_photos, val_photos);
  if (left_out > 0) std::printf(", %zu left out by --train-photos", left_out);
  std::printf(") from %s\n", o.build.photos.string().c_str());
  std::printf(
      "tiles: %zu cut, %zu kept after dropping near-flat ones (%zu train, %zu validation)\n", cut,
      kept, ds.train_available, ds.val_available);
  if (ds.train_orientations > 1 && o.build.detail == n2n::TileDetail::any)
    std::printf(
        "training tiles used in up to %zu orientations (mirrored, rotated) to give %zu "
        "pairs from %zu tiles\n",
        ds.train_orientations, ds.train_input.shape()[0], ds.train_available);
  std::printf(
      "distinct tiles: %zu train (each drawn up to %zu times), %zu validation (up to %zu "
      "times)\n",
      ds.train_distinct, ds.train_max_uses, ds.val_distinct, ds.val_max_uses);
  const auto& course = n2n::course_detail_quartiles;
  std::printf(
      "detail of the clean tiles (--detail %s), 25/50/75th percentile: train %.1f / %.1f / "
      "%.1f, validation %.1f / %.1f / %.1f, course %.1f / %.1f / %.1f\n",
      n2n::tile_detail_name(o.build.detail), ds.train_detail[0], ds.train_detail[1],
      ds.train_detail[2], ds.val_detail[0], ds.val_detail[1], ds.val_detail[2], course[0],
      course[1], course[2]);
  std::printf("wrote %zu training pairs and %zu validation pairs to %s in %.1f s\n",
              ds.train_input.shape()[0], ds.val_input.shape()[0], o.out.string().c_str(), seconds);
  std::printf("noise %s, train_input vs clean:\n%s", n2n::noise_model_name(o.build.noise).c_str(),
              n2n::format_noise_stats(ds.train_noise).c_str());
  if (o.build.val_noise)
    std::printf("validation noise %s, val_input vs val_target:\n%s",
                n2n::noise_model_name(*o.build.val_noise).c_str(),
                n2n::format_noise_stats(ds.val_noise).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse_options(std::vector<std::string>(argv + 1, argv + argc));
    if (o.help) {
      std::fputs(usage().c_str(), stdout);
      return 0;
    }
    std::unique_ptr<tbb::global_control> threads;
    if (o.threads > 0)
      threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                      std::size_t(o.threads));
    if (o.stats) return print_stats(*o.stats);
    return build(o);
  } catch (const n2n::UsageError& e) {
    std::fprintf(stderr, "ctnn_build_dataset: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctnn_build_dataset: error: %s\n", e.what());
    return 1;
  }
}
