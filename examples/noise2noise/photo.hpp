#pragma once
/// \file
/// Decoding photographs (JPEG or PNG, through stb) into 8-bit RGB, for building data sets.
/// Unlike read_png_rgb, which insists on exactly what a saved image should be, this takes the
/// photos as they come: grayscale is spread to three channels and an alpha channel is dropped.
/// Needs Debian's libstb-dev (link its `stb` library).

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include <stb/stb_image.h>
#include <xtensor/xtensor.hpp>

#include "ctnn/io/file_error.hpp"
#include "ctnn/io/png.hpp"

namespace n2n {

using ctnn::io::FileError;

/// The largest photo read_photo_rgb decodes (64 Mpixel): stb allocates the whole image from
/// the header's size, so a corrupt header must not make it allocate gigabytes.
inline constexpr std::size_t max_photo_pixels = std::size_t(1) << 26;

/// Reads a JPEG or PNG photo as H x W x 3 (RGB). 16-bit PNGs are reduced to 8 bits.
inline xt::xtensor<std::uint8_t, 3> read_photo_rgb(const std::filesystem::path& path) {
  const auto bytes = ctnn::io::detail::read_file_bytes(path, "a JPEG or PNG photo");
  if (bytes.size() > 0x7fffffff) throw FileError(path, "file too large for the image decoder");
  const int len = static_cast<int>(bytes.size());
  const bool jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
  const bool png = bytes.size() >= 8 && std::memcmp(bytes.data(), "\x89PNG\r\n\x1a\n", 8) == 0;
  if (!jpeg && !png) throw FileError(path, "neither a JPEG nor a PNG file");
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &comp))
    throw FileError(path, std::string("corrupt image header: ") + stbi_failure_reason());
  if (std::size_t(w) * std::size_t(h) > max_photo_pixels)
    throw FileError(path, "image header claims " + std::to_string(w) + "x" + std::to_string(h) +
                              " pixels, more than the " + std::to_string(max_photo_pixels) +
                              " read_photo_rgb accepts");
  int w2 = 0, h2 = 0, c2 = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> pixels(
      stbi_load_from_memory(bytes.data(), len, &w2, &h2, &c2, 3), stbi_image_free);
  if (!pixels)
    throw FileError(path,
                    std::string("cannot decode (truncated or corrupt): ") + stbi_failure_reason());
  xt::xtensor<std::uint8_t, 3> img(
      std::array<std::size_t, 3>{std::size_t(h2), std::size_t(w2), std::size_t(3)});
  std::memcpy(img.data(), pixels.get(), img.size());
  return img;
}

}  // namespace n2n
