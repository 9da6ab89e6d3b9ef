// ctnn_denoise's tiling on the other models (test_tiling.cpp says what is checked and with which
// tolerance): the course's final and upsampling models, DnCNN in evaluation mode and the U-Net.

#include <algorithm>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/noise2noise.hpp"
#include "ctnn/models/unet.hpp"
#include "tiling_check.hpp"

using namespace ctnn;
using namespace tiling_check;
using n2n::TileGeometry;

TEST_CASE(
    "the course's final and upsampling models: 32x32 tiles equal one pass over a 72x100 image",
    "[tiling]") {
  // 72 x 100 is no multiple of the tile (the last tile is flush with the end) and a multiple of
  // 4 (the upsampling model's strides). margin - 1 is not enough: the margin is needed.
  SECTION("final") {
    check_course_model_tiling<models::FinalDenoiser<>>("final", 4, n2n::course_geometry,
                                                       TileGeometry{3, 1}, 2);
  }
  SECTION("upsample") {
    check_course_model_tiling<models::UpsampleDenoiser<>>("upsample", 5, n2n::upsample_geometry,
                                                          TileGeometry{6, 4}, 3);
  }
}

TEST_CASE("DnCNN in evaluation mode: 64x64 tiles equal one pass over a 64x96 image", "[tiling]") {
  models::DnCNN<64, 64> tile{Seed{6}};
  models::DnCNN<64, 96> whole{Seed{0}};
  // Running statistics away from PyTorch's initial 0 and 1, so evaluation mode matters.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mean(-0.1f, 0.1f), var(0.5f, 2.0f);
  for (auto& b : tile.buffers()) {
    if (b.is_integer()) continue;
    const bool is_var = b.name.find("running_var") != std::string::npos;
    for (std::size_t i = 0; i < b.size; ++i)
      b.value[i] = is_var ? var(rng) : mean(rng);
  }
  copy_weights(tile, whole, "dncnn");
  tile.eval();
  whole.eval();
  // Tile origins 0, 30, 32 along the width: a step of 64 - 2 x 17, then one flush with the end.
  CHECK(tiled_vs_whole(tile, whole, n2n::dncnn_geometry, 4) <= tolerance);
}

TEST_CASE("U-Net: tiles on the whole image's pooling grid; exact where the context fits",
          "[tiling]") {
  // No margin holds the U-Net's receptive field (over 300 pixels), so for trained weights the
  // tiled result differs from a whole-image pass by what lies beyond the margin
  // (docs/denoise.md gives measured numbers). What the tiling guarantees is checked here
  // exactly: with enc_conv2's weights zeroed (and every bias 0, as Kaiming-normal
  // initialisation leaves them), levels 2 to 5 output zeros, and what remains (enc_conv0,
  // enc_conv1, pool1, dec_conv2, dec_conv2b, upsample1 and the three last convs) sees about 12
  // pixels around each output. Tiles of 64 at multiples of 32 with a margin of 16 then give
  // exactly the whole-image pass.
  models::UNet<64, 64> tile{Seed{8}, Init::kaiming_normal};
  models::UNet<96, 96> whole{Seed{0}};
  int weights = 0;
  for (auto& p : tile.parameters()) {
    if (p.shape.size() == 4 && ++weights == 3) std::fill(p.value, p.value + p.size, 0.0f);
    if (p.shape.size() == 1)
      REQUIRE(std::all_of(p.value, p.value + p.size, [](float v) { return v == 0.0f; }));
  }
  REQUIRE(weights == 18);
  copy_weights(tile, whole, "unet");
  CHECK(tiled_vs_whole(tile, whole, TileGeometry{16, 32}, 5) <= tolerance);
  // A margin of 4 is less than that context: the test can tell.
  CHECK(tiled_vs_whole(tile, whole, TileGeometry{4, 32}, 5) > 1e-3);
}
