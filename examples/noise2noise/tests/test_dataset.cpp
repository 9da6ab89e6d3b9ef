// Tiles and the photo data set builder: downsampling, tile layout, flatness, and the builder's
// promises (shapes, determinism, no photo in both splits, clear errors). The photos are
// procedural images written by the test itself, so it needs no fetched photos.

#include <catch2/catch.hpp>

#include <stb/stb_image_write.h>

#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "ctnn/io/image.hpp"
#include "photo_dataset.hpp"
#include "thread_probe.hpp"
#include "tiles.hpp"

namespace fs = std::filesystem;
using namespace ctnn;
using namespace n2n;

namespace {

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("ctnn_test_dataset_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A procedural photo: smooth colour gradients, stripes and disks, varied by `seed`.
RgbImage make_photo(std::size_t h, std::size_t w, std::uint64_t seed) {
  NoiseRng rng(seed);
  RgbImage img(std::array<std::size_t, 3>{h, w, 3});
  const double fx = rng.uniform(0.02, 0.3), fy = rng.uniform(0.02, 0.3);
  double cx[4], cy[4], r[4];
  for (int d = 0; d < 4; ++d) {
    cx[d] = rng.uniform(0, double(w));
    cy[d] = rng.uniform(0, double(h));
    r[d] = rng.uniform(10, 60);
  }
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x)
      for (std::size_t c = 0; c < 3; ++c) {
        double v = 40 + 150 * double(x + c * y) / double(w + 2 * h) +
                   40 * std::sin(fx * double(x) + fy * double(y) + double(c));
        for (int d = 0; d < 4; ++d)
          if (std::hypot(double(x) - cx[d], double(y) - cy[d]) < r[d]) v -= 35 * double(c + 1);
        img(y, x, c) = static_cast<std::uint8_t>(std::clamp(std::round(v), 0.0, 255.0));
      }
  return img;
}

// Six photos (PNGs and a JPEG, one in a subdirectory) plus a file that is not a photo.
void write_photos(const fs::path& dir) {
  fs::create_directories(dir / "sub");
  for (std::uint64_t i = 0; i < 5; ++i) {
    const RgbImage img = make_photo(240 + 8 * i, 320, i + 1);
    io::write_png(dir / ("photo" + std::to_string(i) + ".png"), int(img.shape()[1]),
                  int(img.shape()[0]), 3, img.data());
  }
  const RgbImage img = make_photo(256, 300, 99);
  REQUIRE(stbi_write_jpg((dir / "sub" / "photo5.JPG").c_str(), 300, 256, 3, img.data(), 95));
  std::ofstream(dir / "notes.txt") << "not a photo";
}

PhotoDatasetOptions small_options(const fs::path& photos) {
  PhotoDatasetOptions o;
  o.photos = photos;
  o.train_count = 200;
  o.val_count = 40;
  o.min_short_side = 96;
  o.max_short_side = 256;
  o.seed = 5;
  // write_photos' smooth gradients and disks have no tile as detailed as the course's, so these
  // tests draw any kept tile, and use the flat course-like noise, about 20 dB on any photo (the
  // default noise follows the texture: on these smooth photos it is much weaker). The defaults
  // have their own tests below and in test_noise.
  o.detail = TileDetail::any;
  o.noise = CourseFlatNoise{};
  return o;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("box_downsample averages blocks with rounding and drops the remainder", "[dataset]") {
  RgbImage img(std::array<std::size_t, 3>{5, 4, 3});
  for (std::size_t y = 0; y < 5; ++y)
    for (std::size_t x = 0; x < 4; ++x)
      for (std::size_t c = 0; c < 3; ++c)
        img(y, x, c) = static_cast<std::uint8_t>(10 * y + x + 100 * c);
  const RgbImage half = box_downsample(img, 2);
  REQUIRE(half.shape()[0] == 2);
  REQUIRE(half.shape()[1] == 2);
  // Block (0,0) of channel 0: 0, 1, 10, 11 -> 5.5 -> 6 (round half up).
  CHECK(half(0, 0, 0) == 6);
  CHECK(half(1, 1, 2) == static_cast<std::uint8_t>((22 + 23 + 32 + 33 + 4 * 200 + 2) / 4));
  CHECK((box_downsample(img, 1) == img));
  CHECK_THROWS_AS(box_downsample(img, 0), std::invalid_argument);
}

TEST_CASE("downsample_factors bring the short side into the requested range", "[dataset]") {
  CHECK(downsample_factors(1600, 96, 512) ==
        std::vector<std::size_t>{4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  CHECK(downsample_factors(200, 96, 512) == std::vector<std::size_t>{1, 2});
  CHECK(downsample_factors(90, 96, 512).empty());
  for (std::size_t f : downsample_factors(1440, 96, 1024)) {
    CHECK(1440 / f >= 96);
    CHECK(1440 / f <= 1024);
  }
}

TEST_CASE("cut_tiles cuts a centred grid of 3 x 32 x 32 tiles", "[dataset]") {
  RgbImage img(std::array<std::size_t, 3>{70, 100, 3});
  for (std::size_t y = 0; y < 70; ++y)
    for (std::size_t x = 0; x < 100; ++x)
      for (std::size_t c = 0; c < 3; ++c)
        img(y, x, c) = static_cast<std::uint8_t>((y * 3 + x * 7 + c * 50) % 256);
  std::vector<std::uint8_t> tiles;
  REQUIRE(cut_tiles(img, tiles) == 6);  // 2 rows x 3 columns
  REQUIRE(tiles.size() == 6 * tile_bytes);
  // Border: (70 - 64) / 2 = 3 rows on top, (100 - 96) / 2 = 2 columns on the left.
  const std::size_t t = 4;  // row 1, column 1
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t y : {0u, 17u, 31u})
      for (std::size_t x : {0u, 9u, 31u})
        CHECK(tiles[t * tile_bytes + (c * 32 + y) * 32 + x] == img(3 + 32 + y, 2 + 32 + x, c));
}

TEST_CASE("tile_luma_std is zero for a flat tile and grows with contrast", "[dataset]") {
  std::vector<std::uint8_t> flat(tile_bytes, 77);
  CHECK(tile_luma_std(flat.data()) == 0);
  std::vector<std::uint8_t> halves(tile_bytes, 100);
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t i = 0; i < 512; ++i)
      halves[c * 1024 + i] = 120;
  CHECK(tile_luma_std(halves.data()) == Approx(10.0));
}

TEST_CASE("copy_tile_oriented mirrors, rotates and transposes a tile", "[dataset]") {
  std::vector<std::uint8_t> tile(tile_bytes);
  for (std::size_t i = 0; i < tile_bytes; ++i)
    tile[i] = static_cast<std::uint8_t>((i * 7 + i / 97) % 251);
  const auto at = [](const std::vector<std::uint8_t>& t, std::size_t k, std::size_t y,
                     std::size_t x) { return t[(k * tile_side + y) * tile_side + x]; };
  std::set<std::string> seen;  // tiles as byte strings
  for (std::size_t o = 0; o < tile_orientations; ++o) {
    std::vector<std::uint8_t> out(tile_bytes);
    copy_tile_oriented(tile.data(), out.data(), o);
    seen.emplace(out.begin(), out.end());
    for (std::size_t k = 0; k < tile_channels; ++k)
      for (std::size_t y = 0; y < tile_side; ++y)
        for (std::size_t x = 0; x < tile_side; ++x) {
          std::size_t sy = (o & 2) ? tile_side - 1 - y : y, sx = (o & 1) ? tile_side - 1 - x : x;
          if (o & 4) std::swap(sy, sx);
          REQUIRE(at(out, k, y, x) == at(tile, k, sy, sx));
        }
  }
  CHECK(seen.size() == tile_orientations);  // eight different images
  std::vector<std::uint8_t> same(tile_bytes);
  copy_tile_oriented(tile.data(), same.data(), 0);
  CHECK(same == tile);
  copy_tile_oriented(tile.data(), same.data(), 1);  // left-right: the first column comes last
  CHECK(at(same, 2, 5, tile_side - 1) == at(tile, 2, 5, 0));
  copy_tile_oriented(tile.data(), same.data(), 4);  // transpose
  CHECK(at(same, 1, 3, 17) == at(tile, 1, 17, 3));
}

TEST_CASE("the builder uses tiles in other orientations only when it runs short of tiles",
          "[dataset]") {
  TempDir dir("orientations");
  write_photos(dir.path);
  const PhotoDataset enough = build_photo_dataset(small_options(dir.path));
  CHECK(enough.train_orientations == 1);
  const std::size_t available = enough.train_available;
  REQUIRE(available > 0);

  PhotoDatasetOptions more = small_options(dir.path);
  more.train_count = 3 * available - 1;
  const PhotoDataset ds = build_photo_dataset(more);
  CHECK(ds.train_orientations == 3);
  REQUIRE(ds.train_input.shape()[0] == more.train_count);
  // Reused tiles are turned, not copied: almost every clean training tile is a new image.
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < more.train_count; ++i) {
    const std::uint8_t* t = ds.train_clean.data() + i * tile_bytes;
    distinct.emplace(t, t + tile_bytes);
  }
  CHECK(distinct.size() > 2 * available);
  CHECK(ds.val_input.shape()[0] == more.val_count);  // validation never reuses a tile

  more.train_count = 8 * available + 1;
  CHECK_THROWS_WITH(build_photo_dataset(more),
                    Catch::Contains("too few tiles") && Catch::Contains("in their 8 orientations"));
}

TEST_CASE("find_photos finds JPEG and PNG files recursively, sorted", "[dataset]") {
  TempDir dir("find");
  write_photos(dir.path);
  const auto found = find_photos(dir.path);
  REQUIRE(found.size() == 6);
  CHECK(found.front() == fs::path("photo0.png"));
  CHECK(found.back() == fs::path("sub/photo5.JPG"));
  CHECK_THROWS_WITH(find_photos(dir.path / "missing"), Catch::Contains("no such directory"));
}

TEST_CASE("the builder writes the course's layout, deterministically, split by photo",
          "[dataset]") {
  TempDir dir("build");
  write_photos(dir.path / "photos");
  const PhotoDatasetOptions opt = small_options(dir.path / "photos");
  const PhotoDataset a = build_photo_dataset(opt);

  SECTION("shapes") {
    for (const ImageBatch* batch : {&a.train_input, &a.train_target, &a.train_clean})
      CHECK(batch->shape() == ImageBatch::shape_type{200, 3, 32, 32});
    for (const ImageBatch* batch : {&a.val_input, &a.val_target})
      CHECK(batch->shape() == ImageBatch::shape_type{40, 3, 32, 32});
    CHECK(a.photos.size() == 6);
    CHECK(a.train_available >= 200);
    CHECK(a.val_available >= 40);
  }

  SECTION("no photo contributes to both splits") {
    std::set<std::uint32_t> train(a.train_photo.begin(), a.train_photo.end());
    std::set<std::uint32_t> val(a.val_photo.begin(), a.val_photo.end());
    CHECK(!train.empty());
    CHECK(!val.empty());
    for (std::uint32_t p : val) {
      CHECK(train.count(p) == 0);
      CHECK(a.photos[p].validation);
    }
    for (std::uint32_t p : train)
      CHECK_FALSE(a.photos[p].validation);
  }

  SECTION("training pairs are two different noisy draws of the same clean tile") {
    CHECK((a.train_input != a.train_target));
    CHECK((a.train_input != a.train_clean));
    // Both draws are close to the clean tile (PSNR of the course-like noise, ~20 dB)...
    CHECK(a.train_noise.psnr_mean > 17);
    CHECK(a.train_noise.psnr_mean < 27);
    // ...and the two targets agree with each other far better than two random tiles would.
    double diff = 0;
    for (std::size_t i = 0; i < a.train_input.size(); ++i)
      diff += std::abs(double(a.train_input.data()[i]) - double(a.train_target.data()[i]));
    CHECK(diff / double(a.train_input.size()) < 30);
  }

  SECTION("same photos and seed give identical arrays; another seed does not") {
    const PhotoDataset b = build_photo_dataset(opt);
    CHECK((a.train_input == b.train_input));
    CHECK((a.train_target == b.train_target));
    CHECK((a.val_input == b.val_input));
    CHECK((a.val_target == b.val_target));
    PhotoDatasetOptions other = opt;
    other.seed = 6;
    const PhotoDataset c = build_photo_dataset(other);
    CHECK((a.train_input != c.train_input));
  }

  SECTION("written files are byte-identical on 1 and 2 threads and load as image batches") {
    // docs/data.md: the same photos and seed give byte-identical files, whatever the number of
    // threads. One build on one thread, one on two (ctnn_build_dataset --threads N sets the same
    // TBB cap as set_num_threads).
    for (const int threads : {1, 2}) {
      using namespace std::chrono_literals;
      INFO("threads " << threads);
      const fs::path out = dir.path / ("out" + std::to_string(threads));
      fs::create_directories(out);
      ctnn::set_num_threads(threads);
      // The cap holds in the run: the builder's loop, kernels::parallel_items, runs its items on
      // exactly `threads` threads.
      CHECK(ctnn::test::threads_running_items(threads == 1 ? 200ms : 10s) == threads);
      write_photo_dataset(build_photo_dataset(opt), opt, out);
      CHECK(ctnn::num_threads() == threads);
      ctnn::set_num_threads(0);
    }
    auto files_in = [](const fs::path& d) {
      std::set<std::string> names;
      for (const auto& entry : fs::directory_iterator(d))
        names.insert(entry.path().filename().string());
      return names;
    };
    const std::set<std::string> names = files_in(dir.path / "out1");
    CHECK(names == std::set<std::string>{"manifest.json", "train_input.npy", "train_target.npy",
                                         "val_input.npy", "val_target.npy"});
    CHECK(files_in(dir.path / "out2") == names);
    for (const std::string& name : names) {
      INFO(name);
      CHECK(file_bytes(dir.path / "out1" / name) == file_bytes(dir.path / "out2" / name));
    }
    CHECK(
        (io::load_image_batch(dir.path / "out1" / "train_input.npy", 3, 32, 32) == a.train_input));
    CHECK((io::load_image_batch(dir.path / "out1" / "val_target.npy", 3, 32, 32) == a.val_target));
    const std::string manifest = file_bytes(dir.path / "out1" / "manifest.json");
    CHECK(manifest.find("\"val_photos\"") != std::string::npos);
    CHECK(manifest.find("sub/photo5.JPG") != std::string::npos);
    CHECK(manifest.find("\"noise\": \"course-flat\"") != std::string::npos);
  }
}

TEST_CASE("the validation split can have its own noise; the manifest records both", "[dataset]") {
  TempDir dir("val_noise");
  write_photos(dir.path / "photos");
  PhotoDatasetOptions opt = small_options(dir.path / "photos");
  opt.noise = BlindGaussianNoise{0, 50};
  opt.val_noise = GaussianNoise{25};
  const PhotoDataset a = build_photo_dataset(opt);
  // Validation at sigma 25 (rounding and clipping at 0 and 255 take a little off).
  CHECK(a.val_noise.std == Approx(25).margin(1.5));
  // Training: sigma per image in [0, 50): the pooled std is sqrt(E[sigma^2]) = 50 / sqrt(3) =
  // 28.9, and the images' stds spread (perturbed_std_p05..p95 over roughly 2.5..47.5).
  CHECK(a.train_noise.std == Approx(50 / std::sqrt(3.0)).margin(3.0));
  CHECK(a.train_noise.perturbed_std_p05 < 10);
  CHECK(a.train_noise.perturbed_std_p95 > 40);
  // Reproducible, independent of the thread count.
  ctnn::set_num_threads(1);
  const PhotoDataset b = build_photo_dataset(opt);
  ctnn::set_num_threads(0);
  CHECK((a.train_input == b.train_input));
  CHECK((a.train_target == b.train_target));
  CHECK((a.val_input == b.val_input));
  // The training pairs and the clean validation tiles are those of a build without
  // --val-noise; only the validation inputs change.
  PhotoDatasetOptions same = opt;
  same.val_noise.reset();
  const PhotoDataset c = build_photo_dataset(same);
  CHECK((c.train_input == a.train_input));
  CHECK((c.val_target == a.val_target));
  CHECK((c.val_input != a.val_input));
  const std::string manifest = photo_dataset_manifest(a, opt);
  CHECK(manifest.find("\"noise\": \"gaussian:0-50\"") != std::string::npos);
  CHECK(manifest.find("\"val_noise\": \"gaussian:25\"") != std::string::npos);
  CHECK(photo_dataset_manifest(c, same).find("\"val_noise\": \"gaussian:0-50\"") !=
        std::string::npos);
}

TEST_CASE("the builder's errors say what is missing", "[dataset]") {
  TempDir dir("errors");
  fs::create_directories(dir.path / "empty");
  CHECK_THROWS_WITH(build_photo_dataset(small_options(dir.path / "empty")),
                    Catch::Contains("no photos found"));

  write_photos(dir.path / "photos");
  PhotoDatasetOptions greedy = small_options(dir.path / "photos");
  greedy.train_count = 100000;
  CHECK_THROWS_WITH(build_photo_dataset(greedy),
                    Catch::Contains("too few tiles") && Catch::Contains("--train asks for 100000"));

  std::ofstream(dir.path / "photos" / "broken.png") << "\x89PNG\r\n\x1a\n garbage";
  CHECK_THROWS_WITH(build_photo_dataset(small_options(dir.path / "photos")),
                    Catch::Contains("broken.png"));
}

namespace {

// A tile whose channel k holds value(k, y, x).
template <class F>
std::vector<std::uint8_t> make_tile(F value) {
  std::vector<std::uint8_t> tile(tile_bytes);
  for (std::size_t k = 0; k < tile_channels; ++k)
    for (std::size_t y = 0; y < tile_side; ++y)
      for (std::size_t x = 0; x < tile_side; ++x)
        tile[(k * tile_side + y) * tile_side + x] = static_cast<std::uint8_t>(value(k, y, x));
  return tile;
}

// A textured photo: uniform white noise of amplitude +-A around mid grey, A rising along a
// diagonal band pattern (offset by `seed`) from 0 to 48, so its tiles' detail (about 4A/3 at full
// scale) spreads over 0..64 and covers the course's range.
RgbImage make_textured_photo(std::size_t h, std::size_t w, std::uint64_t seed) {
  NoiseRng rng(seed);
  const double phase = rng.uniform(0, 1);
  RgbImage img(std::array<std::size_t, 3>{h, w, 3});
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x) {
      const double t = double(x + y / 2) / double(w) + phase;
      const double amplitude = 48 * (t - std::floor(t));
      for (std::size_t c = 0; c < 3; ++c)
        img(y, x, c) =
            static_cast<std::uint8_t>(std::round(128 + rng.uniform(-amplitude, amplitude)));
    }
  return img;
}

// `count` textured 128 x 192 photos in `dir`, seeds first_seed, first_seed + 1, ...
void write_textured_photos(const fs::path& dir, std::uint64_t count, std::uint64_t first_seed) {
  for (std::uint64_t i = 0; i < count; ++i) {
    const RgbImage img = make_textured_photo(128, 192, first_seed + i);
    io::write_png(dir / ("textured" + std::to_string(i) + ".png"), int(img.shape()[1]),
                  int(img.shape()[0]), 3, img.data());
  }
}

}  // namespace

TEST_CASE("tile_detail sums the mean absolute differences across and down", "[dataset]") {
  CHECK(tile_detail(make_tile([](auto, auto, auto) { return 77; }).data()) == 0);
  // Columns alternating 0 and 10 in every channel: every horizontal step is 10, no vertical one.
  CHECK(tile_detail(make_tile([](auto, auto, auto x) { return 10 * (x % 2); }).data()) ==
        Approx(10.0));
  // A ramp of 3 per column in channel 0 only: 3 in one channel of three, across only.
  CHECK(tile_detail(make_tile([](auto k, auto, auto x) { return k == 0 ? 3 * x : 50; }).data()) ==
        Approx(1.0));
  // Top half 120, bottom half 100: one step of 20 among the 31 vertical steps of each column.
  CHECK(tile_detail(make_tile([](auto, auto y, auto) { return y < 16 ? 120 : 100; }).data()) ==
        Approx(20.0 / 31));
  // Both directions add: a checkerboard of 0 and 6 steps 6 across and 6 down.
  CHECK(tile_detail(make_tile([](auto, auto y, auto x) { return 6 * ((x + y) % 2); }).data()) ==
        Approx(12.0));
}

TEST_CASE("detail_quartiles interpolates between ranks as numpy's percentile does", "[dataset]") {
  std::vector<std::uint8_t> tiles;
  for (int step : {30, 0, 20, 10}) {  // details 30, 0, 20, 10, unsorted
    const auto t = make_tile([step](auto, auto, auto x) { return step * (x % 2); });
    tiles.insert(tiles.end(), t.begin(), t.end());
  }
  // numpy.percentile([0, 10, 20, 30], [25, 50, 75]) = 7.5, 15, 22.5.
  const auto q = detail_quartiles(tiles.data(), 4);
  CHECK(q[0] == Approx(7.5));
  CHECK(q[1] == Approx(15.0));
  CHECK(q[2] == Approx(22.5));
  CHECK(detail_quartiles(tiles.data(), 1)[1] == Approx(30.0));
}

TEST_CASE("--detail course draws tiles whose detail quartiles are the course's", "[dataset]") {
  TempDir dir("detail");
  write_textured_photos(dir.path, 6, 1);
  PhotoDatasetOptions opt = small_options(dir.path);
  opt.min_short_side = 64;  // scales 1 and 2
  opt.detail = TileDetail::course;
  const PhotoDataset a = build_photo_dataset(opt);
  PhotoDatasetOptions any = opt;
  any.detail = TileDetail::any;
  const PhotoDataset b = build_photo_dataset(any);

  // Both splits, each from its own photos, within 10 % of 24.0 / 27.0 / 32.5 (a quarter of the
  // draws in each bin puts the quartiles on the bins' edges, up to one draw).
  for (const auto* q : {&a.train_detail, &a.val_detail})
    for (std::size_t j = 0; j < 3; ++j) {
      INFO((q == &a.train_detail ? "train" : "val") << " quartile " << j + 1);
      CHECK((*q)[j] == Approx(course_detail_quartiles[j]).epsilon(0.1));
    }
  // The photos alone spread far wider (0..64): `any`'s interquartile range is over twice the
  // course's 8.5.
  const double course_iqr = course_detail_quartiles[2] - course_detail_quartiles[0];
  CHECK(b.train_detail[2] - b.train_detail[0] > 2 * course_iqr);
  CHECK(a.train_detail[2] - a.train_detail[0] < 1.2 * course_iqr);
  // The split by photo is the same as with `any`; only the draws within each split change.
  for (std::size_t p = 0; p < a.photos.size(); ++p)
    CHECK(a.photos[p].validation == b.photos[p].validation);
  for (std::uint32_t p : a.val_photo)
    CHECK(a.photos[p].validation);
  for (std::uint32_t p : a.train_photo)
    CHECK_FALSE(a.photos[p].validation);
  // Fewer distinct tiles than draws: tiles outside 18..43.5 are left out.
  CHECK(a.train_distinct < b.train_distinct);
  CHECK(a.train_distinct * a.train_max_uses >= opt.train_count);

  // Deterministic from the seed, whatever the thread count; another seed draws other tiles.
  ctnn::set_num_threads(1);
  const PhotoDataset c = build_photo_dataset(opt);
  ctnn::set_num_threads(0);
  CHECK((c.train_clean == a.train_clean));
  CHECK((c.train_input == a.train_input));
  CHECK((c.val_target == a.val_target));
  CHECK(photo_dataset_manifest(c, opt) == photo_dataset_manifest(a, opt));
  PhotoDatasetOptions other = opt;
  other.seed = 6;
  CHECK((build_photo_dataset(other).train_clean != a.train_clean));
  const std::string manifest = photo_dataset_manifest(a, opt);
  CHECK(manifest.find("\"detail\": \"course\"") != std::string::npos);
  CHECK(manifest.find("\"course_detail_quartiles\": [24.0000, 27.0000, 32.5000]") !=
        std::string::npos);
  CHECK(photo_dataset_manifest(b, any).find("\"detail\": \"any\"") != std::string::npos);
}

TEST_CASE("--detail course names the detail bin its photos leave empty", "[dataset]") {
  TempDir dir("detail_empty");
  write_photos(dir.path);  // smooth gradients and disks: no tile is as detailed as the course's
  PhotoDatasetOptions opt = small_options(dir.path);
  opt.detail = TileDetail::course;
  CHECK_THROWS_WITH(build_photo_dataset(opt),
                    Catch::Contains("too few tiles: the training photos have no tile with detail "
                                    "in [") &&
                        Catch::Contains("--detail course needs"));
}

TEST_CASE("the default data is the course's: texture-following noise, tiles by detail",
          "[dataset]") {
  const PhotoDatasetOptions defaults;
  CHECK(std::holds_alternative<CourseTextureNoise>(defaults.noise));
  CHECK(defaults.detail == TileDetail::course);
  CHECK_FALSE(defaults.train_photos);
}

TEST_CASE("train_photos leaves training photos out and validation exactly as it was", "[dataset]") {
  TempDir dir("train_photos");
  write_textured_photos(dir.path, 8, 11);
  for (const TileDetail detail : {TileDetail::any, TileDetail::course}) {
    INFO("detail " << tile_detail_name(detail));
    PhotoDatasetOptions opt = small_options(dir.path);
    opt.min_short_side = 64;
    opt.detail = detail;
    const PhotoDataset all = build_photo_dataset(opt);
    std::set<std::uint32_t> all_train(all.train_photo.begin(), all.train_photo.end());
    REQUIRE(all_train.size() >= 4);

    std::set<std::uint32_t> previous;
    for (const std::size_t n : {std::size_t(1), std::size_t(2), std::size_t(4)}) {
      INFO("train_photos " << n);
      opt.train_photos = n;
      const PhotoDataset some = build_photo_dataset(opt);
      // Validation: the same photos, tiles and noise, byte for byte.
      CHECK((some.val_input == all.val_input));
      CHECK((some.val_target == all.val_target));
      for (std::size_t p = 0; p < all.photos.size(); ++p)
        CHECK(some.photos[p].validation == all.photos[p].validation);
      // Training: exactly n photos, all of them training photos of the full build, and the
      // smaller sets part of the larger ones.
      const std::set<std::uint32_t> used(some.train_photo.begin(), some.train_photo.end());
      CHECK(used.size() == n);
      std::size_t left_out = 0;
      for (std::size_t p = 0; p < some.photos.size(); ++p) {
        left_out += some.photos[p].left_out ? 1 : 0;
        if (some.photos[p].left_out) CHECK(used.count(std::uint32_t(p)) == 0);
      }
      CHECK(left_out == all_train.size() - n);
      for (std::uint32_t p : used)
        CHECK(all_train.count(p) == 1);
      for (std::uint32_t p : previous)
        CHECK(used.count(p) == 1);
      previous = used;
      CHECK(some.train_input.shape()[0] == opt.train_count);
      // The manifest lists only the photos used and says how many were left out.
      const std::string manifest = photo_dataset_manifest(some, opt);
      CHECK(manifest.find("\"train_photos_limit\": " + std::to_string(n) +
                          ", \"train_photos_left_out\": " + std::to_string(left_out)) !=
            std::string::npos);
      for (std::size_t p = 0; p < some.photos.size(); ++p)
        CHECK((manifest.find('"' + some.photos[p].name + '"') != std::string::npos) ==
              !some.photos[p].left_out);
    }
    opt.train_photos = 0;
    CHECK_THROWS_WITH(build_photo_dataset(opt), Catch::Contains("train_photos must be at least 1"));
  }
}
