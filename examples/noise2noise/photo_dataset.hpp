#pragma once
/// \file
/// Building a Noise2Noise data set from a directory of photos, in the course's layout:
/// train_input.npy and train_target.npy (two independent noisy draws of the same clean tile),
/// val_input.npy (noisy) and val_target.npy (clean), all uint8 N x 3 x 32 x 32, and
/// manifest.json (the parameters and the photos of each split).
///
/// Each photo is box-downsampled by every integer factor that brings its short side into
/// [min_short_side, max_short_side], each scale is cut into non-overlapping 32x32 tiles, and
/// near-flat tiles are dropped. When the training photos give fewer tiles than training pairs,
/// tiles are also used mirrored and rotated (at most 8 orientations, each its own noise draws).
/// With TileDetail::course, each split draws a quarter of its tiles from each of four detail bins
/// around the course's quartiles instead (pick_tiles_by_detail).
/// Photos, not tiles, are split between training and validation, so no photo contributes to both
/// and the validation PSNR measures generalisation to unseen pictures. Everything random derives
/// from the seed: same photos + same seed = same bytes. Needs Debian's libstb-dev (link its `stb`
/// library).

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "ctnn/core/init.hpp"
#include "ctnn/io/npy.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "noise.hpp"
#include "noise_stats.hpp"
#include "photo.hpp"
#include "tiles.hpp"

namespace n2n {

namespace io = ctnn::io;
namespace kernels = ctnn::kernels;

/// Which tiles a split draws from. `any`: every kept tile alike, so the detail follows the photos
/// and the scales. `course`: the tiles are drawn by detail (tile_detail) so that their
/// distribution matches the course's quartiles (course_detail_bins).
enum class TileDetail { any, course };

inline const char* tile_detail_name(TileDetail d) {
  return d == TileDetail::course ? "course" : "any";
}

/// The four detail bins of TileDetail::course, each to hold a quarter of a split's tiles: the
/// course's quartiles (24.0, 27.0, 32.5) bound the middle ones; each outer bin is twice as wide
/// as its inner neighbour (18 to 24, 32.5 to 43.5), so the density falls off outside the
/// quartiles as it does in a unimodal distribution. Tiles outside 18..43.5 are not used.
inline std::array<double, 5> course_detail_bins() {
  const auto& q = course_detail_quartiles;
  return {q[0] - 2 * (q[1] - q[0]), q[0], q[1], q[2], q[2] + 2 * (q[2] - q[1])};
}

struct PhotoDatasetOptions {
  std::filesystem::path photos;  ///< searched recursively for .jpg, .jpeg, .png
  std::size_t train_count = 50000;
  std::size_t val_count = 1000;
  /// The default is the course-like noise whose strength follows the texture (issue 16).
  NoiseModel noise = CourseTextureNoise{};
  /// The validation inputs' noise; none: the same model as `noise`. (The Noise2Noise paper
  /// trains on Gaussian noise of sigma in [0, 50] and validates at sigma 25.)
  std::optional<NoiseModel> val_noise;
  std::uint64_t seed = 0;
  /// Scales: every integer downsampling factor that puts the short side in this range. The
  /// default makes a tile span 1/8 to all of the photo's short side, so tiles hold a scene's
  /// detail the way the course's 32 x 32 thumbnails do; close-ups of large photos (short side
  /// up to 1024) are mostly smooth, and there a 3x3 median filter beats any short training.
  std::size_t min_short_side = 32;
  std::size_t max_short_side = 256;
  /// Tiles whose luma std is below this are dropped as near-flat.
  double min_tile_std = 3.0;
  /// At least this share of the photos goes to validation (more if their tiles do not reach
  /// val_count), so validation spans several pictures.
  double val_photo_share = 0.15;
  /// Which tiles are drawn (TileDetail); by default as detailed as the course's thumbnails.
  TileDetail detail = TileDetail::course;
  /// Use only this many of the training photos (the first in the split's seeded order, so a
  /// smaller set is part of every larger one), the others left out; the validation photos stay
  /// the same. For measuring how PSNR moves with the number of photos (docs/data.md).
  std::optional<std::size_t> train_photos;
};

/// One source photo and what it gave.
struct PhotoSource {
  std::string name;  ///< path relative to the photo directory
  std::size_t width = 0, height = 0;
  std::vector<std::size_t> factors;  ///< downsampling factors used
  std::size_t tiles_cut = 0;         ///< tiles at all scales
  std::size_t tiles_kept = 0;        ///< after dropping near-flat ones
  std::size_t tiles_used = 0;        ///< in the written data set
  bool validation = false;
  bool left_out = false;  ///< a training photo left out by train_photos
};

using ImageBatch = xt::xtensor<std::uint8_t, 4>;

struct PhotoDataset {
  std::vector<PhotoSource> photos;  ///< sorted by name
  ImageBatch train_input, train_target, val_input, val_target;
  ImageBatch train_clean;  ///< the clean tiles behind the training pairs (not written)
  std::vector<std::uint32_t> train_photo, val_photo;  ///< source photo index of each tile
  std::size_t train_available = 0, val_available = 0;
  /// Orientations the training tiles were drawn in: 1 when the training photos give at least
  /// train_count tiles, else enough (at most 8) that they do.
  std::size_t train_orientations = 1;
  /// Distinct tiles (a tile in several orientations counted once) behind each split, and the
  /// most draws of one tile.
  std::size_t train_distinct = 0, val_distinct = 0, train_max_uses = 0, val_max_uses = 0;
  /// tile_detail of the clean tiles written (train_clean, val_target) at the 25th, 50th and
  /// 75th percentile.
  std::array<double, 3> train_detail{}, val_detail{};
  NoiseStats train_noise, val_noise;  ///< train_input vs train_clean, val_input vs val_target
};

/// The photos under `dir` (recursively, .jpg/.jpeg/.png in any case), as paths relative to
/// `dir`, sorted so the order does not depend on the file system.
inline std::vector<std::filesystem::path> find_photos(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw io::FileError(dir, fs::exists(dir, ec) ? "is not a directory" : "no such directory");
  std::vector<fs::path> found;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png")
      found.push_back(fs::relative(it->path(), dir));
  }
  std::sort(found.begin(), found.end());
  return found;
}

namespace detail {

// Random streams of the builder, kept apart so changing one use does not shift another.
enum Stream : std::uint64_t {
  split_stream = 1,
  pick_stream,
  train_noise_a,
  train_noise_b,
  val_noise,
  // The validation tiles' draws, apart from the training tiles': leaving training photos out
  // (train_photos) leaves the validation pairs byte for byte the same.
  val_pick_stream
};

inline void shuffle(std::vector<std::size_t>& v, NoiseRng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const std::size_t j = std::size_t(rng.next_u64() % i);
    std::swap(v[i - 1], v[j]);
  }
}

// The tiles of one split: for each chosen tile, its photo and its bytes.
struct SplitTiles {
  std::vector<std::uint32_t> photo;
  ImageBatch clean;
  std::size_t distinct = 0, max_uses = 0;  // tiles behind the draws, most draws of one tile
};

// Fills `distinct` and `max_uses` from the tile (photo << 32 | index in the photo) of each draw.
inline void count_uses(SplitTiles& split, std::vector<std::uint64_t> sources) {
  std::sort(sources.begin(), sources.end());
  for (std::size_t i = 0, run = 0; i < sources.size(); ++i) {
    run = i > 0 && sources[i] == sources[i - 1] ? run + 1 : 1;
    if (run == 1) ++split.distinct;
    split.max_uses = std::max(split.max_uses, run);
  }
}

// One tile of a photo in one orientation (copy_tile_oriented).
struct TileDraw {
  std::uint32_t photo, tile, orientation;
};

// The first `count` of `draws` in a random order: their tiles, turned, and their photos.
inline SplitTiles take_draws(const std::vector<std::vector<std::uint8_t>>& tiles_of_photo,
                             const std::vector<TileDraw>& draws, std::size_t count, NoiseRng& rng) {
  std::vector<std::size_t> order(draws.size());
  std::iota(order.begin(), order.end(), 0);
  shuffle(order, rng);
  SplitTiles out;
  out.clean = ImageBatch::from_shape({count, tile_channels, tile_side, tile_side});
  out.photo.resize(count);
  std::vector<std::uint64_t> sources(count);
  for (std::size_t i = 0; i < count; ++i) {
    const TileDraw& d = draws[order[i]];
    out.photo[i] = d.photo;
    sources[i] = std::uint64_t(d.photo) << 32 | d.tile;
    copy_tile_oriented(tiles_of_photo[d.photo].data() + std::size_t(d.tile) * tile_bytes,
                       out.clean.data() + i * tile_bytes, d.orientation);
  }
  count_uses(out, std::move(sources));
  return out;
}

// `count` tiles of `photos`, in random order. With orientations > 1 every tile is also a
// candidate in its first `orientations` orientations (copy_tile_oriented), so a split with
// fewer tiles than pairs uses some of them several times, each time turned another way.
inline SplitTiles pick_tiles(const std::vector<std::vector<std::uint8_t>>& tiles_of_photo,
                             const std::vector<std::size_t>& photos, std::size_t count,
                             std::size_t orientations, NoiseRng& rng) {
  std::vector<TileDraw> all;
  for (std::uint32_t o = 0; o < orientations; ++o)
    for (std::size_t p : photos)
      for (std::size_t t = 0; t < tiles_of_photo[p].size() / tile_bytes; ++t)
        all.push_back({std::uint32_t(p), std::uint32_t(t), o});
  return take_draws(tiles_of_photo, all, count, rng);
}

inline std::string format_detail(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// TileDetail::course: `count` tiles of `photos` with a quarter of them in each of the
// course_detail_bins. Within a bin the tiles are shuffled and drawn in turn; a bin with fewer
// tiles than its quarter starts over with every tile in its next orientation (after 8, the
// orientations repeat: the same image, with its own noise draws). The draws of all bins are then
// shuffled together.
inline SplitTiles pick_tiles_by_detail(const std::vector<std::vector<std::uint8_t>>& tiles_of_photo,
                                       const std::vector<std::size_t>& photos, std::size_t count,
                                       const char* split, NoiseRng& rng) {
  struct Tile {
    std::uint32_t photo, tile;
  };
  const std::array<double, 5> edges = course_detail_bins();
  std::array<std::vector<Tile>, 4> bins;
  for (std::size_t p : photos)
    for (std::size_t t = 0; t < tiles_of_photo[p].size() / tile_bytes; ++t) {
      const double d = tile_detail(tiles_of_photo[p].data() + t * tile_bytes);
      for (std::size_t b = 0; b < bins.size(); ++b)
        if (d >= edges[b] && d < edges[b + 1])
          bins[b].push_back({std::uint32_t(p), std::uint32_t(t)});
    }
  std::vector<TileDraw> draws;
  draws.reserve(count);
  for (std::size_t b = 0; b < bins.size(); ++b) {
    if (bins[b].empty())
      throw std::runtime_error(std::string("too few tiles: the ") + split +
                               " photos have no tile with detail in [" + format_detail(edges[b]) +
                               ", " + format_detail(edges[b + 1]) +
                               ") that --detail course needs (add photos or use --detail any)");
    std::vector<std::size_t> order(bins[b].size());
    std::iota(order.begin(), order.end(), 0);
    shuffle(order, rng);
    const std::size_t quota = count / 4 + (b < count % 4 ? 1 : 0);
    for (std::size_t i = 0; i < quota; ++i)
      draws.push_back({bins[b][order[i % order.size()]].photo,
                       bins[b][order[i % order.size()]].tile,
                       std::uint32_t(i / order.size() % tile_orientations)});
  }
  return take_draws(tiles_of_photo, draws, count, rng);
}

inline ImageBatch noisy_copy(const ImageBatch& clean, const NoiseModel& model, std::uint64_t seed,
                             std::uint64_t stream) {
  ImageBatch noisy = ImageBatch::from_shape(clean.shape());
  const std::size_t n = clean.shape()[0];
  // Each tile's noise comes from its own stream, so the split into pieces changes nothing.
  constexpr std::size_t piece = 256;
  kernels::parallel_items((n + piece - 1) / piece, [&](std::size_t k) {
    for (std::size_t i = k * piece; i < std::min(n, (k + 1) * piece); ++i) {
      NoiseRng rng = stream_rng(seed, stream, i);
      add_noise(model, clean.data() + i * tile_bytes, noisy.data() + i * tile_bytes,
                tile_side * tile_side, rng);
    }
  });
  return noisy;
}

}  // namespace detail

/// Builds the data set in memory (see the file comment). Throws io::FileError for a photo
/// that cannot be read and std::runtime_error when there are no photos or too few tiles.
inline PhotoDataset build_photo_dataset(const PhotoDatasetOptions& opt) {
  const auto names = find_photos(opt.photos);
  if (names.empty())
    throw io::FileError(opt.photos, "no photos found (.jpg, .jpeg or .png, searched recursively)");
  if (names.size() < 2)
    throw io::FileError(opt.photos,
                        "only one photo found; training and validation need "
                        "different photos");

  PhotoDataset ds;
  ds.photos.resize(names.size());
  std::vector<std::vector<std::uint8_t>> tiles_of_photo(names.size());
  // Photos are independent; each writes only its own slots, so threads cannot change results.
  kernels::parallel_items(names.size(), [&](std::size_t p) {
    PhotoSource& src = ds.photos[p];
    src.name = names[p].generic_string();
    const RgbImage image = read_photo_rgb(opt.photos / names[p]);
    src.height = image.shape()[0];
    src.width = image.shape()[1];
    src.factors =
        downsample_factors(std::min(src.width, src.height), opt.min_short_side, opt.max_short_side);
    std::vector<std::uint8_t> cut;
    for (std::size_t f : src.factors)
      src.tiles_cut += cut_tiles(f == 1 ? image : box_downsample(image, f), cut);
    std::vector<std::uint8_t>& kept = tiles_of_photo[p];
    for (std::size_t t = 0; t < src.tiles_cut; ++t) {
      const std::uint8_t* tile = cut.data() + t * tile_bytes;
      if (tile_luma_std(tile) >= opt.min_tile_std) kept.insert(kept.end(), tile, tile + tile_bytes);
    }
    src.tiles_kept = kept.size() / tile_bytes;
  });

  // Split by photo: shuffle the photos, give validation the first ones until it has both its
  // share of the photos and enough tiles, and training the rest.
  std::vector<std::size_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  NoiseRng split_rng = stream_rng(opt.seed, detail::split_stream, 0);
  detail::shuffle(order, split_rng);
  const std::size_t min_val_photos =
      std::max<std::size_t>(1, std::size_t(std::ceil(opt.val_photo_share * double(names.size()))));
  std::vector<std::size_t> val_photos, train_photos;
  for (std::size_t p : order) {
    const bool need_val = val_photos.size() < min_val_photos || ds.val_available < opt.val_count;
    if (need_val && val_photos.size() + 1 < names.size()) {
      val_photos.push_back(p);
      ds.val_available += ds.photos[p].tiles_kept;
      ds.photos[p].validation = true;
    } else {
      train_photos.push_back(p);
      ds.train_available += ds.photos[p].tiles_kept;
    }
  }
  if (opt.train_photos) {
    if (*opt.train_photos == 0) throw std::invalid_argument("train_photos must be at least 1");
    for (std::size_t i = std::min(*opt.train_photos, train_photos.size()); i < train_photos.size();
         ++i) {
      ds.photos[train_photos[i]].left_out = true;
      ds.train_available -= ds.photos[train_photos[i]].tiles_kept;
    }
    train_photos.resize(std::min(*opt.train_photos, train_photos.size()));
  }
  std::sort(val_photos.begin(), val_photos.end());
  std::sort(train_photos.begin(), train_photos.end());
  const std::size_t total = ds.train_available + ds.val_available;
  if (ds.val_available < opt.val_count)
    throw std::runtime_error("too few tiles: validation needs " + std::to_string(opt.val_count) +
                             " but the photos give " + std::to_string(total) +
                             " tiles in all (lower --val or add photos)");
  const bool by_detail = opt.detail == TileDetail::course;
  if (!by_detail && ds.train_available * tile_orientations < opt.train_count)
    throw std::runtime_error(
        "too few tiles: " + std::to_string(ds.train_available) + " training tiles from " +
        std::to_string(train_photos.size()) + " photos (" + std::to_string(ds.val_available) +
        " more went to validation with " + std::to_string(val_photos.size()) +
        " photos) give at most " + std::to_string(ds.train_available * tile_orientations) +
        " pairs in their 8 orientations, --train asks for " + std::to_string(opt.train_count) +
        " (lower --train or add photos)");
  // Training reuses tiles in other orientations only when it must; validation never does.
  // (With --detail course, a tile is drawn as often as its detail bin needs; see
  // pick_tiles_by_detail.)
  ds.train_orientations = (opt.train_count + ds.train_available - 1) / ds.train_available;

  NoiseRng pick_rng = stream_rng(opt.seed, detail::pick_stream, 0);
  detail::SplitTiles train =
      by_detail ? detail::pick_tiles_by_detail(tiles_of_photo, train_photos, opt.train_count,
                                               "training", pick_rng)
                : detail::pick_tiles(tiles_of_photo, train_photos, opt.train_count,
                                     ds.train_orientations, pick_rng);
  NoiseRng val_pick_rng = stream_rng(opt.seed, detail::val_pick_stream, 0);
  detail::SplitTiles val =
      by_detail ? detail::pick_tiles_by_detail(tiles_of_photo, val_photos, opt.val_count,
                                               "validation", val_pick_rng)
                : detail::pick_tiles(tiles_of_photo, val_photos, opt.val_count, 1, val_pick_rng);
  tiles_of_photo.clear();
  if (by_detail) ds.train_orientations = std::min(train.max_uses, tile_orientations);
  ds.train_distinct = train.distinct;
  ds.val_distinct = val.distinct;
  ds.train_max_uses = train.max_uses;
  ds.val_max_uses = val.max_uses;
  ds.train_detail = detail_quartiles(train.clean.data(), opt.train_count);
  ds.val_detail = detail_quartiles(val.clean.data(), opt.val_count);
  for (std::uint32_t p : train.photo)
    ++ds.photos[p].tiles_used;
  for (std::uint32_t p : val.photo)
    ++ds.photos[p].tiles_used;

  ds.train_input = detail::noisy_copy(train.clean, opt.noise, opt.seed, detail::train_noise_a);
  ds.train_target = detail::noisy_copy(train.clean, opt.noise, opt.seed, detail::train_noise_b);
  ds.val_input =
      detail::noisy_copy(val.clean, opt.val_noise.value_or(opt.noise), opt.seed, detail::val_noise);
  ds.train_clean = std::move(train.clean);
  ds.val_target = std::move(val.clean);
  ds.train_photo = std::move(train.photo);
  ds.val_photo = std::move(val.photo);
  constexpr std::size_t plane = tile_side * tile_side;
  ds.train_noise =
      measure_noise(ds.train_input.data(), ds.train_clean.data(), opt.train_count, plane);
  ds.val_noise = measure_noise(ds.val_input.data(), ds.val_target.data(), opt.val_count, plane);
  return ds;
}

namespace detail {
inline std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

inline std::string json_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Rows: clean luma bands; columns: local std bands (NoiseStats::texture_std).
inline std::string texture_table_json(
    const double (&table)[texture_luma_bands][texture_std_bands]) {
  std::string j = "[";
  for (int l = 0; l < texture_luma_bands; ++l) {
    j += l ? ", [" : "[";
    for (int k = 0; k < texture_std_bands; ++k)
      j += (k ? ", " : "") + json_number(table[l][k]);
    j += "]";
  }
  return j + "]";
}

inline std::string noise_stats_json(const NoiseStats& s) {
  return "{\"mean\": " + json_number(s.mean) + ", \"std\": " + json_number(s.std) +
         ", \"luma_std\": " + json_number(s.luma_std) +
         ", \"chroma_std\": " + json_number(s.chroma_std) +
         ", \"corr_rg\": " + json_number(s.corr_rg) + ", \"kurtosis\": " + json_number(s.kurtosis) +
         ", \"unchanged_p05\": " + json_number(s.unchanged_p05) +
         ", \"unchanged_p95\": " + json_number(s.unchanged_p95) +
         ", \"perturbed_std_p05\": " + json_number(s.perturbed_std_p05) +
         ", \"perturbed_std_p95\": " + json_number(s.perturbed_std_p95) +
         ", \"std_dark\": " + json_number(s.std_dark) + ", \"std_mid\": " + json_number(s.std_mid) +
         ", \"std_bright\": " + json_number(s.std_bright) +
         ", \"psnr_mean\": " + json_number(s.psnr_mean) +
         ", \"psnr_pooled\": " + json_number(s.psnr_pooled) +
         ", \"corr_gb\": " + json_number(s.corr_gb) + ", \"corr_rb\": " + json_number(s.corr_rb) +
         ", \"lag1_h\": " + json_number(s.lag1_h) + ", \"lag1_v\": " + json_number(s.lag1_v) +
         ", \"unchanged_values\": " + json_number(s.unchanged_values) +
         ", \"texture_std\": " + texture_table_json(s.texture_std) +
         ", \"texture_share\": " + texture_table_json(s.texture_share) +
         ", \"detail_p25_p50_p75\": [" + json_number(s.detail_p25) + ", " +
         json_number(s.detail_p50) + ", " + json_number(s.detail_p75) + "]}";
}
}  // namespace detail

/// The manifest: parameters, counts, the photos of each split and the noise statistics. It
/// holds nothing that varies between runs (no times, no thread counts), so it is as
/// reproducible as the arrays.
inline std::string photo_dataset_manifest(const PhotoDataset& ds, const PhotoDatasetOptions& opt) {
  using detail::json_number;
  using detail::json_string;
  std::string j = "{\n";
  j += "  \"format\": \"uint8 N x 3 x 32 x 32; train_input/train_target: two noisy draws of the "
       "same clean tile; val_input: noisy, val_target: clean\",\n";
  j += "  \"photos_dir\": " + json_string(opt.photos.generic_string()) + ",\n";
  j += "  \"seed\": " + std::to_string(opt.seed) + ",\n";
  j += "  \"noise\": " + json_string(noise_model_name(opt.noise)) + ",\n";
  j += "  \"val_noise\": " + json_string(noise_model_name(opt.val_noise.value_or(opt.noise))) +
       ",\n";
  if (const auto* c = std::get_if<CourseFlatNoise>(&opt.noise))
    j += "  \"course_flat_noise\": {\"keep\": [" + json_number(c->keep_min) + ", " +
         json_number(c->keep_max) + "], \"sigma\": [" + json_number(c->sigma_min) + ", " +
         json_number(c->sigma_max) + "], \"chroma_ratio\": " + json_number(c->chroma_ratio) +
         ", \"gain_at_black\": " + json_number(c->gain_at_black) +
         ", \"gain_ramp\": " + json_number(c->gain_ramp) + "},\n";
  if (const auto* c = std::get_if<CourseTextureNoise>(&opt.noise))
    j += "  \"course_noise\": {\"amplitude\": " + json_number(c->amplitude) +
         ", \"texture_offset\": " + json_number(c->texture_offset) +
         ", \"texture_power\": " + json_number(c->texture_power) +
         ", \"texture_cap\": " + json_number(c->texture_cap) +
         ", \"gain_ramp\": " + json_number(c->gain_ramp) + ", \"tail\": " + json_number(c->tail) +
         ", \"keep\": " + json_number(c->keep) + ", \"corr\": [" + json_number(c->corr_rg) + ", " +
         json_number(c->corr_gb) + ", " + json_number(c->corr_rb) + "]},\n";
  j += "  \"short_side_range\": [" + std::to_string(opt.min_short_side) + ", " +
       std::to_string(opt.max_short_side) + "],\n";
  j += "  \"min_tile_std\": " + json_number(opt.min_tile_std) + ",\n";
  j += "  \"detail\": " + json_string(tile_detail_name(opt.detail)) + ",\n";
  if (opt.train_photos) {
    const auto left_out = std::count_if(ds.photos.begin(), ds.photos.end(),
                                        [](const PhotoSource& p) { return p.left_out; });
    j += "  \"train_photos_limit\": " + std::to_string(*opt.train_photos) +
         ", \"train_photos_left_out\": " + std::to_string(left_out) + ",\n";
  }
  const auto quartiles = [&](const std::array<double, 3>& q) {
    return "[" + json_number(q[0]) + ", " + json_number(q[1]) + ", " + json_number(q[2]) + "]";
  };
  j += "  \"train\": {\"count\": " + std::to_string(ds.train_input.shape()[0]) +
       ", \"tiles_available\": " + std::to_string(ds.train_available) +
       ", \"orientations\": " + std::to_string(ds.train_orientations) +
       ", \"distinct_tiles\": " + std::to_string(ds.train_distinct) +
       ", \"max_uses\": " + std::to_string(ds.train_max_uses) +
       ", \"detail_quartiles\": " + quartiles(ds.train_detail) + "},\n";
  j += "  \"val\": {\"count\": " + std::to_string(ds.val_input.shape()[0]) +
       ", \"tiles_available\": " + std::to_string(ds.val_available) +
       ", \"distinct_tiles\": " + std::to_string(ds.val_distinct) +
       ", \"max_uses\": " + std::to_string(ds.val_max_uses) +
       ", \"detail_quartiles\": " + quartiles(ds.val_detail) + "},\n";
  j += "  \"course_detail_quartiles\": " + quartiles(course_detail_quartiles) + ",\n";
  j += "  \"noise_stats\": {\"train_input_vs_clean\": " + detail::noise_stats_json(ds.train_noise) +
       ",\n                  \"val_input_vs_target\": " + detail::noise_stats_json(ds.val_noise) +
       "},\n";
  for (const bool val : {false, true}) {
    j += std::string("  \"") + (val ? "val" : "train") + "_photos\": [";
    bool first = true;
    for (const PhotoSource& p : ds.photos) {
      if (p.validation != val || p.left_out) continue;
      j += first ? "\n" : ",\n";
      first = false;
      std::string factors;
      for (std::size_t f : p.factors)
        factors += (factors.empty() ? "" : ", ") + std::to_string(f);
      j += "    {\"name\": " + json_string(p.name) + ", \"width\": " + std::to_string(p.width) +
           ", \"height\": " + std::to_string(p.height) + ", \"factors\": [" + factors +
           "], \"tiles_cut\": " + std::to_string(p.tiles_cut) +
           ", \"tiles_kept\": " + std::to_string(p.tiles_kept) +
           ", \"tiles_used\": " + std::to_string(p.tiles_used) + "}";
    }
    j += val ? "\n  ]\n" : "\n  ],\n";
  }
  return j + "}\n";
}

/// Writes the four arrays and manifest.json into `out` (which must exist), each atomically.
inline void write_photo_dataset(const PhotoDataset& ds, const PhotoDatasetOptions& opt,
                                const std::filesystem::path& out) {
  io::save_npy(out / "train_input.npy", ds.train_input);
  io::save_npy(out / "train_target.npy", ds.train_target);
  io::save_npy(out / "val_input.npy", ds.val_input);
  io::save_npy(out / "val_target.npy", ds.val_target);
  const std::string manifest = photo_dataset_manifest(ds, opt);
  io::write_atomically(out / "manifest.json", [&](io::ByteSink& sink) { sink.write(manifest); });
}

}  // namespace n2n
