#pragma once
/// \file
/// Running a fully convolutional network on an image of any size in overlapping square tiles,
/// as ctnn_denoise does, so that the result equals one pass over the whole image wherever the
/// network's receptive field fits in the overlap.
///
/// A network's type fixes its input size, but the weights do not depend on it (a checkpoint
/// trained on 32 x 32 tiles loads into the same layers at 128 x 128: `Resized`). An image is
/// cut into tiles of the network's size whose origins are multiples of `align` (the product of
/// the strides and poolings, so every tile sees the same sampling grid as the whole image);
/// each output pixel within `margin` of a tile edge that lies inside the image is dropped
/// (weight 0), because there the tile's border (zero padding, or the end of an unpadded conv)
/// replaces image content the whole-image pass would see. Consecutive tiles overlap by at least
/// 2 x margin, so every pixel has a tile in which it is at least `margin` from any inner edge;
/// where several do, their outputs are averaged with a tent weight (1 at the edge of the used
/// region, growing by 1 per pixel towards the tile's middle). With `margin` at least the
/// receptive field's radius and the image a multiple of `align`, every averaged value equals the
/// whole-image pass's value up to float rounding. With a smaller margin (the U-Net's receptive
/// field exceeds any tile) the tent blends the tiles' differences smoothly, so no seam shows.

#include <algorithm>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ctnn/ctnn.hpp"

namespace n2n {

/// `Net` with its input resized to H x W: the same layers, so the same checkpoints load.
template <class Net, int H, int W>
struct resized;
template <int C, int H0, int W0, class T, class... Specs, int H, int W>
struct resized<ctnn::Sequential<ctnn::Input<C, H0, W0, T>, Specs...>, H, W> {
  using type = ctnn::Sequential<ctnn::Input<C, H, W, T>, Specs...>;
};
template <class Net, int H, int W = H>
using Resized = typename resized<Net, H, W>::type;

/// How a network is tiled.
struct TileGeometry {
  /// Output pixels within `margin` of a tile edge inside the image are not used.
  int margin = 0;
  /// Tile origins (and the image, padded by `pad_to_multiple`) are multiples of `align`.
  int align = 1;
};

/// The tiling of the five ctnn_denoise models (docs/denoise.md explains each number).
/// The course's initial and final models: four 3 x 3 (transposed) convs without padding, a
/// receptive field of 9 x 9: radius 4.
inline constexpr TileGeometry course_geometry{4, 1};
/// The course's upsampling model: two stride-2 convs, then two (nearest x2 + conv) steps. With
/// tile origins at multiples of 4 (the strides' product, so each tile samples the whole
/// image's grid) an output pixel reads input from up to 9 pixels before it and 6 after it,
/// depending on its position modulo 4; only the first 7 and the last 3 pixels of a tile read
/// beyond it: margin 7 (test_tiling checks that 7 gives the whole-image pass and 6 does not).
inline constexpr TileGeometry upsample_geometry{7, 4};
/// DnCNN: 17 3 x 3 convs with padding 1, receptive field 35 x 35: radius 17.
inline constexpr TileGeometry dncnn_geometry{17, 1};
/// The U-Net: its receptive field (over 300 pixels) exceeds any tile, so no margin makes tiles
/// exact; 32 pixels of context on each side, origins at multiples of 32 so every tile pools on
/// the whole image's 2 x 2 grid at all five levels.
inline constexpr TileGeometry unet_geometry{32, 32};

/// RGB planes as the networks see them: 3 x height x width floats (in [0, 1] for images).
struct RgbPlanes {
  int height = 0, width = 0;
  std::vector<float> data;

  RgbPlanes() = default;
  RgbPlanes(int h, int w)
      : height(h), width(w), data(std::size_t(3) * std::size_t(h) * std::size_t(w), 0.0f) {}
  float& operator()(int c, int y, int x) {
    return data[(std::size_t(c) * std::size_t(height) + std::size_t(y)) * std::size_t(width) +
                std::size_t(x)];
  }
  float operator()(int c, int y, int x) const {
    return data[(std::size_t(c) * std::size_t(height) + std::size_t(y)) * std::size_t(width) +
                std::size_t(x)];
  }
};

/// Index `i` of a mirror-reflected axis of `size` (..., 2, 1, 0, 1, 2, ..., size - 1,
/// size - 2, ...), as numpy's pad mode "reflect".
inline int reflect_index(int i, int size) {
  if (size == 1) return 0;
  const int period = 2 * (size - 1);
  i %= period;
  if (i < 0) i += period;
  return i < size ? i : period - i;
}

/// `in` extended at the bottom and right to `height` x `width` (at least its own size) by
/// mirror reflection.
inline RgbPlanes pad_reflect(const RgbPlanes& in, int height, int width) {
  if (height == in.height && width == in.width) return in;
  RgbPlanes out(height, width);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        out(c, y, x) = in(c, reflect_index(y, in.height), reflect_index(x, in.width));
  return out;
}

/// `in` padded at the bottom and right by mirror reflection to the next multiples of `align`.
inline RgbPlanes pad_to_multiple(const RgbPlanes& in, int align) {
  return pad_reflect(in, (in.height + align - 1) / align * align,
                     (in.width + align - 1) / align * align);
}

/// The top-left `height` x `width` of `in`.
inline RgbPlanes crop(const RgbPlanes& in, int height, int width) {
  RgbPlanes out(height, width);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        out(c, y, x) = in(c, y, x);
  return out;
}

/// The tiles along one axis: their origins, and the margin their weights drop.
struct AxisPlan {
  std::vector<int> origins;
  /// The geometry's margin; or, when the tile is too small for it, a quarter of the tile (the
  /// tiles then overlap by half and are only blended, not exact).
  int margin = 0;
  bool exact = true;
};

/// Tiles of `tile` pixels over an axis of `size` (size >= tile): origins every `step` (the
/// largest multiple of `align` up to tile - 2 x margin), the last one flush with the end.
inline AxisPlan plan_axis(int size, int tile, TileGeometry g) {
  if (tile <= 0 || size < tile)
    throw std::invalid_argument("plan_axis: an axis of " + std::to_string(size) +
                                " pixels cannot hold a tile of " + std::to_string(tile));
  AxisPlan plan;
  int step = (tile - 2 * g.margin) / g.align * g.align;
  plan.margin = g.margin;
  if (step < g.align || step <= 0) {
    step = std::max(1, tile / 2);
    plan.margin = (tile - step) / 2;
    plan.exact = false;
  }
  for (int p = 0;; p += step) {
    if (p + tile >= size) {
      plan.origins.push_back(size - tile);
      break;
    }
    plan.origins.push_back(p);
  }
  return plan;
}

/// The weights along one axis of the tile at `origin`: 0 within the plan's margin of an edge
/// inside the axis, then 1, 2, ... towards the tile's middle (edges on the axis's ends count as
/// far away: there the whole-image pass has the same border).
inline std::vector<double> axis_weights(const AxisPlan& plan, int size, int tile, int origin) {
  std::vector<double> w(std::size_t(tile), 0.0);
  for (int i = 0; i < tile; ++i) {
    const int left = origin > 0 ? i - plan.margin : tile;
    const int right = origin + tile < size ? tile - 1 - i - plan.margin : tile;
    const int d = std::min(left, right);
    w[std::size_t(i)] = d < 0 ? 0.0 : 1.0 + d;
  }
  return w;
}

/// Runs `net` (3 x th x tw in, 3 x th x tw out) over `in` (at least th x tw) in tiles planned
/// by `g`, at most `max_batch` tiles per forward pass, and blends the outputs as the file
/// comment says. Pad the image to a multiple of g.align first (pad_to_multiple) for the exact
/// result; the tiles' own alignment is kept either way. `progress`, if given, is called after
/// each forward pass with the tiles done and their total.
template <class Net>
RgbPlanes run_tiled(Net& net, const RgbPlanes& in, TileGeometry g, std::size_t max_batch = 1,
                    const std::function<void(std::size_t, std::size_t)>& progress = {}) {
  using In = typename Net::input_shape;
  using Out = typename Net::output_shape;
  static_assert(In::channels == 3 && Out::channels == 3 && In::height == Out::height &&
                    In::width == Out::width,
                "run_tiled: the network must map 3 x H x W to 3 x H x W");
  constexpr int th = In::height, tw = In::width;
  const int h = in.height, w = in.width;
  const AxisPlan py = plan_axis(h, th, g), px = plan_axis(w, tw, g);
  std::vector<std::vector<double>> wy, wx;
  for (int o : py.origins)
    wy.push_back(axis_weights(py, h, th, o));
  for (int o : px.origins)
    wx.push_back(axis_weights(px, w, tw, o));

  struct TileAt {
    std::size_t iy, ix;
  };
  std::vector<TileAt> tiles;
  for (std::size_t iy = 0; iy < py.origins.size(); ++iy)
    for (std::size_t ix = 0; ix < px.origins.size(); ++ix)
      tiles.push_back({iy, ix});

  const std::size_t plane = std::size_t(h) * std::size_t(w);
  std::vector<double> acc(3 * plane, 0.0), weight(plane, 0.0);
  max_batch = std::max<std::size_t>(1, max_batch);
  ctnn::Batch<In, float> x;
  for (std::size_t first = 0; first < tiles.size(); first += max_batch) {
    const std::size_t n = std::min(max_batch, tiles.size() - first);
    x.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      const int y0 = py.origins[tiles[first + k].iy], x0 = px.origins[tiles[first + k].ix];
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < th; ++y) {
          const float* src =
              &in.data[(std::size_t(c) * std::size_t(h) + std::size_t(y0 + y)) * std::size_t(w) +
                       std::size_t(x0)];
          std::copy(src, src + tw, &x(k, std::size_t(c), std::size_t(y), 0));
        }
    }
    const auto& yb = net.forward(x);
    for (std::size_t k = 0; k < n; ++k) {
      const TileAt t = tiles[first + k];
      const int y0 = py.origins[t.iy], x0 = px.origins[t.ix];
      for (int y = 0; y < th; ++y) {
        const double ay = wy[t.iy][std::size_t(y)];
        if (ay == 0.0) continue;
        for (int xx = 0; xx < tw; ++xx) {
          const double wgt = ay * wx[t.ix][std::size_t(xx)];
          if (wgt == 0.0) continue;
          const std::size_t p = std::size_t(y0 + y) * std::size_t(w) + std::size_t(x0 + xx);
          weight[p] += wgt;
          for (std::size_t c = 0; c < 3; ++c)
            acc[c * plane + p] += wgt * double(yb(k, c, std::size_t(y), std::size_t(xx)));
        }
      }
    }
    if (progress) progress(first + n, tiles.size());
  }
  RgbPlanes out(h, w);
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t p = 0; p < plane; ++p)
      out.data[c * plane + p] = float(acc[c * plane + p] / weight[p]);
  return out;
}

}  // namespace n2n
