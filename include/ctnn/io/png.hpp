#pragma once
/// \file
/// PNG reading and writing through stb (Debian's libstb-dev; link its `stb` library). Reading
/// insists on what the caller needs (8-bit RGB) and names the file and the problem otherwise.
/// Writing is atomic.

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <xtensor/xtensor.hpp>

#include "ctnn/io/atomic_write.hpp"
#include "ctnn/io/file_error.hpp"

namespace ctnn::io {

namespace detail {
inline std::vector<unsigned char> read_file_bytes(const std::filesystem::path& path,
                                                  const char* what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw FileError(path, "no such file");
  if (std::filesystem::is_directory(path, ec))
    throw FileError(path, std::string("is a directory, expected ") + what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path, "cannot open for reading");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace detail

/// Reads an 8-bit RGB PNG as H x W x 3. Refuses other files, 16-bit PNGs and PNGs with another
/// number of channels (grayscale, gray + alpha, RGBA), and truncated or corrupt data.
inline xt::xtensor<std::uint8_t, 3> read_png_rgb(const std::filesystem::path& path) {
  const auto bytes = detail::read_file_bytes(path, "a PNG file");
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 8 || std::memcmp(bytes.data(), signature, 8) != 0)
    throw FileError(path, "not a PNG file (wrong signature)");
  const int len = int(std::min<std::size_t>(bytes.size(), 0x7fffffff));
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &comp))
    throw FileError(path, std::string("corrupt PNG header: ") + stbi_failure_reason());
  if (stbi_is_16_bit_from_memory(bytes.data(), len))
    throw FileError(path, "16-bit PNG: 8 bits per channel are needed");
  if (comp != 3) {
    static const char* const kinds[] = {"", "grayscale", "grayscale with alpha", "",
                                        "RGBA (it has an alpha channel)"};
    throw FileError(path, std::string("PNG is ") + (comp >= 1 && comp <= 4 ? kinds[comp] : "?") +
                              ": RGB is needed");
  }
  int w2 = 0, h2 = 0, c2 = 0;
  unsigned char* pixels = stbi_load_from_memory(bytes.data(), len, &w2, &h2, &c2, 3);
  if (!pixels)
    throw FileError(
        path, std::string("cannot decode PNG (truncated or corrupt): ") + stbi_failure_reason());
  xt::xtensor<std::uint8_t, 3> img(
      std::array<std::size_t, 3>{std::size_t(h2), std::size_t(w2), std::size_t(3)});
  std::memcpy(img.data(), pixels, img.size());
  stbi_image_free(pixels);
  return img;
}

/// Writes 8-bit pixels (height x width x channels, row-major) as a PNG, atomically.
inline void write_png(const std::filesystem::path& path, int width, int height, int channels,
                      const std::uint8_t* pixels) {
  std::string png;
  auto append = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), std::size_t(size));
  };
  if (!stbi_write_png_to_func(append, &png, width, height, channels, pixels, width * channels))
    throw FileError(path, "cannot encode PNG");
  write_atomically(path, [&](ByteSink& out) { out.write(png); });
}

}  // namespace ctnn::io
