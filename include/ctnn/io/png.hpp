#pragma once
/// \file
/// Strict PNG reading through stb (Debian's libstb-dev), in the `ctnn::image` component:
/// read_png_rgb insists on what the caller needs (8-bit RGB) and names the file and the problem
/// otherwise; io::read_image (ctnn/io/image.hpp) reads every kind of PNG and JPEG, and
/// io::write_image / io::write_png write them. Also the PNG structure checks both readers run.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <stb/stb_image.h>
#include <xtensor/xtensor.hpp>

#include "ctnn/io/atomic_write.hpp"
#include "ctnn/io/file_error.hpp"

namespace ctnn::io {

namespace detail {
inline std::vector<unsigned char> read_file_bytes(const std::filesystem::path& path,
                                                  const char* what) {
  require_regular_file(path, what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path, "cannot open for reading");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Checks the PNG's chunk structure before stb sees it, and removes its empty IDAT chunks.
/// Found by tests/fuzz/fuzz_png.cpp in stb 2.27: a chunk whose length runs past the end of the
/// file made stb allocate that length (up to 2 GB) before finding the file too short, and an
/// empty IDAT chunk (valid) made it call memcpy(nullptr, p, 0), undefined behaviour.
inline void check_png_chunks(std::vector<unsigned char>& png, const std::filesystem::path& path) {
  auto fail = [&](const std::string& what) {
    throw FileError(path, "cannot decode PNG (truncated or corrupt): " + what);
  };
  std::size_t pos = 8;
  while (true) {
    if (png.size() - pos < 12)
      fail("the file ends at byte " + std::to_string(png.size()) + " without an IEND chunk");
    const std::size_t length = std::size_t(png[pos]) << 24 | std::size_t(png[pos + 1]) << 16 |
                               std::size_t(png[pos + 2]) << 8 | std::size_t(png[pos + 3]);
    std::string type;
    for (std::size_t i = pos + 4; i < pos + 8; ++i)
      type += std::isalpha(png[i]) ? char(png[i]) : '?';
    if (length > png.size() - pos - 12)
      fail("chunk '" + type + "' at byte " + std::to_string(pos) + " claims " +
           std::to_string(length) + " bytes of data, the file has " +
           std::to_string(png.size() - pos - 12) + " left");
    if (type == "IEND") return;
    if (length == 0 && type == "IDAT") {
      png.erase(png.begin() + std::ptrdiff_t(pos), png.begin() + std::ptrdiff_t(pos + 12));
      continue;
    }
    pos += 12 + length;
  }
}
}  // namespace detail

/// The largest image read_png_rgb decodes (64 Mpixel, 192 MB of RGB): stb allocates the whole
/// image before it reads the pixel data, so a corrupt header must not make it allocate gigabytes.
inline constexpr std::size_t max_png_pixels = std::size_t(1) << 26;

/// Reads an 8-bit RGB PNG as H x W x 3. Refuses other files, 16-bit PNGs and PNGs with another
/// number of channels (grayscale, gray + alpha, RGBA), and truncated or corrupt data.
inline xt::xtensor<std::uint8_t, 3> read_png_rgb(const std::filesystem::path& path) {
  auto bytes = detail::read_file_bytes(path, "a PNG file");
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 8 || std::memcmp(bytes.data(), signature, 8) != 0)
    throw FileError(path, "not a PNG file (wrong signature)");
  detail::check_png_chunks(bytes, path);  // now the first chunk's bytes are all there
  const int len = int(std::min<std::size_t>(bytes.size(), 0x7fffffff));
  // The size, from the IHDR chunk that must come first, checked before stb sees the file.
  auto be32 = [&](std::size_t at) {
    return std::size_t(bytes[at]) << 24 | std::size_t(bytes[at + 1]) << 16 |
           std::size_t(bytes[at + 2]) << 8 | std::size_t(bytes[at + 3]);
  };
  if (be32(8) != 13 || std::memcmp(bytes.data() + 12, "IHDR", 4) != 0)
    throw FileError(path, "corrupt PNG header: the first chunk is not a 13-byte IHDR");
  const std::size_t pw = be32(16), ph = be32(20);
  if (pw == 0 || ph == 0 || pw * ph > max_png_pixels)
    throw FileError(
        path, "PNG header claims " + std::to_string(pw) + "x" + std::to_string(ph) + " pixels: " +
                  (pw == 0 || ph == 0 ? std::string("an empty image (corrupt?)")
                                      : "more than the " + std::to_string(max_png_pixels) +
                                            " read_png_rgb accepts (corrupt?)"));
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

}  // namespace ctnn::io
