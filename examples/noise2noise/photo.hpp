#pragma once
/// \file
/// Photographs (JPEG or PNG) as 8-bit RGB, for building data sets. Unlike io::read_png_rgb,
/// which insists on exactly what a saved image should be, this takes the photos as they come:
/// io::read_image decodes them (with its checks of the file's structure and size), gray is
/// spread to three channels, an alpha channel is dropped, and 16-bit samples keep their high
/// byte, as stb's 8-bit loader reduces them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include <xtensor/xtensor.hpp>

#include "ctnn/io/image.hpp"

namespace n2n {

/// Reads a JPEG or PNG photo as H x W x 3 (RGB).
inline xt::xtensor<std::uint8_t, 3> read_photo_rgb(const std::filesystem::path& path) {
  const ctnn::io::Image img = ctnn::io::read_image(path);
  const std::size_t h = img.height(), w = img.width(), c = img.channels();
  const int shift = img.bit_depth() == 16 ? 8 : 0;
  xt::xtensor<std::uint8_t, 3> rgb(std::array<std::size_t, 3>{h, w, std::size_t(3)});
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x)
      for (std::size_t k = 0; k < 3; ++k)  // gray (+ alpha): the gray sample in all three
        rgb(y, x, k) = static_cast<std::uint8_t>(img(y, x, c >= 3 ? k : 0) >> shift);
  return rgb;
}

}  // namespace n2n
