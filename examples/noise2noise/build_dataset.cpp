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
#include <vector>

#include <tbb/global_control.h>
#include <unistd.h>

#include "ctnn/io/npy.hpp"
#include "noise_stats.hpp"
#include "photo_dataset.hpp"

namespace fs = std::filesystem;
using namespace ctnn;

namespace {

const char* usage() {
  return R"(Usage: ctnn_build_dataset --photos DIR [options]
       ctnn_build_dataset --stats DIR

Builds Noise2Noise training data from photos: every photo is box-downsampled to several scales
(short side 32..256 pixels), cut into non-overlapping 32x32 tiles, near-flat tiles are dropped,
and the photos are split between training and validation (no photo in both). When the training
photos give fewer tiles than --train, tiles are also used mirrored and rotated (up to 8
orientations, each with its own noise draws). Writes to --out:
  train_input.npy, train_target.npy  two independent noisy draws of the same clean tiles
  val_input.npy, val_target.npy      noisy and clean validation tiles
  manifest.json                      parameters, photos of each split, noise statistics
all uint8 N x 3 x 32 x 32. Same photos + same seed = byte-identical files.

Options:
  --photos DIR     photos (.jpg, .jpeg, .png; searched recursively); fetch free ones with
                   tools/data/fetch_photos.sh (they land in ~/.cache/ctnn/photos)
  --out DIR        output directory, created if needed (default: data)
  --train N        training pairs (default 50000)
  --val N          validation pairs (default 1000)
  --noise MODEL    course (default: mimics the course's noise statistics),
                   gaussian:SIGMA or poisson:PEAK (0..255 scale; peak = photons at white)
  --seed S         seed for the split, the tile choice and the noise (default 0)
  --threads N      worker threads (default: all cores)
  --short-side MIN:MAX
                   scales: every integer downsampling factor that brings a photo's short side
                   into MIN..MAX pixels (default 32:256)
  --min-std X      drop tiles whose luma std is below X (0..255 scale; default 3)
  --stats DIR      only print the noise statistics of DIR/val_input.npy against
                   DIR/val_target.npy (e.g. the course's data converted by tools/data/ee559_to_npy.py)
  --help           this text
)";
}

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  n2n::PhotoDatasetOptions build;
  fs::path out = "data";
  std::optional<fs::path> stats;
  int threads = 0;
  bool help = false;
  bool have_photos = false;
};

std::uint64_t parse_count(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    if (!text.empty() && text[0] != '-') v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw UsageError(flag + " expects a non-negative integer, got '" + text + "'");
  return v;
}

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError(a + " needs a value (see --help)");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--photos") {
      o.build.photos = value();
      o.have_photos = true;
    } else if (a == "--out") {
      o.out = value();
    } else if (a == "--train") {
      o.build.train_count = parse_count(a, value());
    } else if (a == "--val") {
      o.build.val_count = parse_count(a, value());
    } else if (a == "--seed") {
      o.build.seed = parse_count(a, value());
    } else if (a == "--threads") {
      o.threads = int(parse_count(a, value()));
    } else if (a == "--noise") {
      try {
        o.build.noise = n2n::parse_noise_model(value());
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--noise: ") + e.what());
      }
    } else if (a == "--short-side") {
      const std::string v = value();
      const auto colon = v.find(':');
      if (colon == std::string::npos)
        throw UsageError("--short-side expects MIN:MAX, got '" + v + "'");
      o.build.min_short_side = parse_count(a, v.substr(0, colon));
      o.build.max_short_side = parse_count(a, v.substr(colon + 1));
      if (o.build.min_short_side < 32 || o.build.max_short_side < o.build.min_short_side)
        throw UsageError("--short-side expects 32 <= MIN <= MAX, got '" + v + "'");
    } else if (a == "--min-std") {
      const std::string v = value();
      std::size_t used = 0;
      try {
        o.build.min_tile_std = std::stod(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != v.size() || !(o.build.min_tile_std >= 0))
        throw UsageError("--min-std expects a non-negative number, got '" + v + "'");
    } else if (a == "--stats") {
      o.stats = value();
    } else {
      throw UsageError("unknown option '" + a + "' (see --help)");
    }
  }
  if (!o.help && !o.stats && !o.have_photos)
    throw UsageError(
        "--photos DIR is required (see --help; tools/data/fetch_photos.sh fetches free "
        "photos)");
  if (!o.help && !o.stats && (o.build.train_count == 0 || o.build.val_count == 0))
    throw UsageError("--train and --val must be at least 1");
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

  std::size_t train_photos = 0, val_photos = 0, cut = 0, kept = 0;
  for (const auto& p : ds.photos) {
    (p.validation ? val_photos : train_photos) += 1;
    cut += p.tiles_cut;
    kept += p.tiles_kept;
  }
  std::printf("photos: %zu (%zu train, %zu validation) from %s\n", ds.photos.size(), train_photos,
              val_photos, o.build.photos.string().c_str());
  std::printf(
      "tiles: %zu cut, %zu kept after dropping near-flat ones (%zu train, %zu validation)\n", cut,
      kept, ds.train_available, ds.val_available);
  if (ds.train_orientations > 1)
    std::printf(
        "training tiles used in up to %zu orientations (mirrored, rotated) to give %zu "
        "pairs from %zu tiles\n",
        ds.train_orientations, ds.train_input.shape()[0], ds.train_available);
  std::printf("wrote %zu training pairs and %zu validation pairs to %s in %.1f s\n",
              ds.train_input.shape()[0], ds.val_input.shape()[0], o.out.string().c_str(), seconds);
  std::printf("noise %s, train_input vs clean:\n%s", n2n::noise_model_name(o.build.noise).c_str(),
              n2n::format_noise_stats(ds.train_noise).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse_options(std::vector<std::string>(argv + 1, argv + argc));
    if (o.help) {
      std::fputs(usage(), stdout);
      return 0;
    }
    std::unique_ptr<tbb::global_control> threads;
    if (o.threads > 0)
      threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                      std::size_t(o.threads));
    if (o.stats) return print_stats(*o.stats);
    return build(o);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "ctnn_build_dataset: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctnn_build_dataset: error: %s\n", e.what());
    return 1;
  }
}
