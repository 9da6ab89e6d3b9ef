// ctnn_denoise's tiling (tiling.hpp): the tile plan covers every pixel with a tile in which it
// lies at least the margin from any inner edge, and for every model whose receptive field fits
// in the margin the tiled result equals one pass of the same weights over the whole image.
//
// Tolerance of the equality: 1e-6 on outputs of about [0, 1] (a few float ulps). Every used
// output value is computed from exactly the inputs the whole-image pass uses, through kernels
// whose reduction order does not depend on the image width or the position of the tile, so the
// values are the same floats; the blend then divides a weighted sum of equal values by the sum
// of the weights in double and rounds to float, which may move the last bit. (Measured: 0, the
// outputs are bit-identical.) The images and tiles are small (at most 96 x 96, tiles of 32 and
// 64) so the test stays cheap under AddressSanitizer.
//
// This file: the tile plan, the padding and the initial model; test_tiling_models.cpp: the other
// models (CI's sanitizer build only compiles that one: see tools/ci/check_warnings.sh).

#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "ctnn/models/noise2noise.hpp"
#include "tiling_check.hpp"

using namespace ctnn;
using namespace tiling_check;
using n2n::TileGeometry;

TEST_CASE("plan_axis: aligned origins, the last flush with the end, every pixel used", "[tiling]") {
  for (const TileGeometry g : {n2n::course_geometry, n2n::upsample_geometry, n2n::dncnn_geometry,
                               n2n::unet_geometry, TileGeometry{16, 32}}) {
    for (const int tile : {32, 64, 128, 256}) {
      if (tile % g.align != 0) continue;
      for (int size = tile; size <= 3 * tile + 70; size += g.align) {
        INFO("margin " << g.margin << ", align " << g.align << ", tile " << tile << ", size "
                       << size);
        const n2n::AxisPlan plan = n2n::plan_axis(size, tile, g);
        REQUIRE(!plan.origins.empty());
        CHECK(plan.origins.front() == 0);
        CHECK(plan.origins.back() == size - tile);
        CHECK(plan.exact == (tile - 2 * g.margin >= g.align));
        if (plan.exact) CHECK(plan.margin == g.margin);
        std::vector<double> total(std::size_t(size), 0.0);
        for (std::size_t k = 0; k < plan.origins.size(); ++k) {
          const int o = plan.origins[k];
          if (plan.exact) CHECK(o % g.align == 0);
          if (k > 0) CHECK(o > plan.origins[k - 1]);
          const auto w = n2n::axis_weights(plan, size, tile, o);
          for (int i = 0; i < tile; ++i) {
            total[std::size_t(o + i)] += w[std::size_t(i)];
            // Nothing within the margin of an edge inside the axis is used.
            const bool near_inner_edge =
                (o > 0 && i < plan.margin) || (o + tile < size && tile - 1 - i < plan.margin);
            if (near_inner_edge) CHECK(w[std::size_t(i)] == 0.0);
          }
        }
        CHECK(std::all_of(total.begin(), total.end(), [](double t) { return t > 0.0; }));
      }
    }
  }
}

TEST_CASE("pad_reflect mirrors without repeating the edge, as numpy's mode 'reflect'", "[tiling]") {
  RgbPlanes p(2, 3);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x)
        p(c, y, x) = float(100 * c + 10 * y + x);
  const RgbPlanes q = n2n::pad_reflect(p, 5, 7);
  // numpy.pad(a, ((0, 3), (0, 4)), "reflect") rows 0 1 0 1 0, columns 0 1 2 1 0 1 2.
  const int rows[5] = {0, 1, 0, 1, 0}, cols[7] = {0, 1, 2, 1, 0, 1, 2};
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 7; ++x)
        CHECK(q(c, y, x) == p(c, rows[y], cols[x]));
  const RgbPlanes r = n2n::pad_to_multiple(p, 4);
  CHECK((r.height == 4 && r.width == 4));
}

TEST_CASE("the initial model: 32x32 tiles equal one pass over a 72x100 image", "[tiling]") {
  // 72 x 100 is no multiple of the tile (the last tile is flush with the end). margin - 1 is not
  // enough: the margin is needed.
  check_course_model_tiling<models::InitialDenoiser<>>("initial", 3, n2n::course_geometry,
                                                       TileGeometry{3, 1}, 1);
}
