#pragma once
/// \file
/// Images of every common kind: `io::read_image` reads PNG (gray, gray + alpha, RGB, RGBA,
/// palette; 1 to 16 bits per sample) and JPEG (baseline and progressive, gray or colour) into an
/// `io::Image` (height x width x channels samples, 8 or 16 bits each); `io::write_image` writes
/// one as a PNG at its bit depth, atomically.
///
/// Part of the optional `ctnn::image` CMake target (pkg-config: `ctnn stb libpng`), so that
/// `<ctnn/ctnn.hpp>` needs no image library:
/// - decoding is stb's (Debian's libstb-dev), after ctnn has checked the file's structure
///   (PNG chunks, JPEG markers) and the size its header claims, so that a truncated or corrupt
///   file is refused with an `io::FileError` naming the file and the problem, and a corrupt
///   header never makes stb allocate gigabytes;
/// - encoding is libpng's (libpng-dev). stb_image_write only writes 8-bit PNGs, and the deflate
///   encoder inside it (`stbi_zlib_compress`) is not exported by Debian's libstb. Rather than
///   write our own PNG encoder over zlib (filters, chunks, CRCs: code to own and get right),
///   ctnn uses the reference one, which Debian keeps up to date, writes 16-bit samples and picks
///   a filter per row.

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <png.h>
#include <stb/stb_image.h>
#include <xtensor/xtensor.hpp>

#include "ctnn/io/atomic_write.hpp"
#include "ctnn/io/file_error.hpp"
#include "ctnn/io/png.hpp"

namespace ctnn::io {

/// An image: height x width x channels samples, row-major with the channels interleaved.
/// Channels: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. Each sample is in [0, max_value()]:
/// 255 for 8 bits per sample, 65535 for 16 (held in 16 bits either way).
class Image {
 public:
  Image() = default;
  /// A black (all-zero) image. Throws std::invalid_argument for 0 or more than 4 channels, or a
  /// bit depth other than 8 or 16.
  Image(std::size_t height, std::size_t width, std::size_t channels, int bit_depth)
      : samples_(std::array<std::size_t, 3>{height, width, channels}, std::uint16_t(0)),
        bit_depth_(bit_depth) {
    if (channels < 1 || channels > 4)
      throw std::invalid_argument("io::Image: " + std::to_string(channels) +
                                  " channels (1 to 4 are possible)");
    if (bit_depth != 8 && bit_depth != 16)
      throw std::invalid_argument("io::Image: bit depth " + std::to_string(bit_depth) +
                                  " (8 or 16 are possible)");
  }

  std::size_t height() const noexcept { return samples_.shape()[0]; }
  std::size_t width() const noexcept { return samples_.shape()[1]; }
  std::size_t channels() const noexcept { return samples_.shape()[2]; }
  /// 8 or 16.
  int bit_depth() const noexcept { return bit_depth_; }
  /// 255 or 65535: the value of white (and of an opaque alpha).
  std::uint16_t max_value() const noexcept { return bit_depth_ == 16 ? 65535 : 255; }
  /// True for gray + alpha and RGBA: the last channel is alpha.
  bool has_alpha() const noexcept { return channels() == 2 || channels() == 4; }

  std::uint16_t& operator()(std::size_t y, std::size_t x, std::size_t c) {
    return samples_(y, x, c);
  }
  std::uint16_t operator()(std::size_t y, std::size_t x, std::size_t c) const {
    return samples_(y, x, c);
  }
  /// All samples, height x width x channels.
  const xt::xtensor<std::uint16_t, 3>& samples() const noexcept { return samples_; }
  std::uint16_t* data() noexcept { return samples_.data(); }
  const std::uint16_t* data() const noexcept { return samples_.data(); }

 private:
  xt::xtensor<std::uint16_t, 3> samples_ =
      xt::xtensor<std::uint16_t, 3>(std::array<std::size_t, 3>{0, 0, 1});
  int bit_depth_ = 8;
};

/// The largest image read_image decodes (64 Mpixel): stb allocates the whole image from the
/// size in the header before it reads the pixels, so a corrupt header must not make it
/// allocate gigabytes.
inline constexpr std::size_t max_image_pixels = max_png_pixels;

namespace detail {

inline std::size_t be16(const std::vector<unsigned char>& b, std::size_t at) {
  return std::size_t(b[at]) << 8 | std::size_t(b[at + 1]);
}
inline std::size_t be32(const std::vector<unsigned char>& b, std::size_t at) {
  return std::size_t(b[at]) << 24 | std::size_t(b[at + 1]) << 16 | std::size_t(b[at + 2]) << 8 |
         std::size_t(b[at + 3]);
}

/// What the file's header says, checked before the decoder sees it.
struct ImageHeader {
  std::size_t width = 0, height = 0, channels = 0;
  int bit_depth = 8;
};

inline void check_image_size(const std::filesystem::path& path, const char* format,
                             std::size_t width, std::size_t height) {
  if (width == 0 || height == 0 || width * height > max_image_pixels)
    throw FileError(
        path, std::string(format) + " header claims " + std::to_string(width) + "x" +
                  std::to_string(height) + " pixels: " +
                  (width == 0 || height == 0 ? std::string("an empty image (corrupt?)")
                                             : "more than the " + std::to_string(max_image_pixels) +
                                                   " read_image accepts (corrupt?)"));
}

/// A PNG's header, from its IHDR chunk (which must come first) and whether it has a tRNS chunk
/// (a transparent colour or palette alphas: stb, like most readers, makes that an alpha
/// channel). Call after check_png_chunks, which makes sure every chunk is within the file.
inline ImageHeader png_header(const std::vector<unsigned char>& png,
                              const std::filesystem::path& path) {
  if (be32(png, 8) != 13 || std::memcmp(png.data() + 12, "IHDR", 4) != 0)
    throw FileError(path, "corrupt PNG header: the first chunk is not a 13-byte IHDR");
  ImageHeader h;
  h.width = be32(png, 16);
  h.height = be32(png, 20);
  check_image_size(path, "PNG", h.width, h.height);
  const int depth = png[24], colour = png[25];
  // The PNG specification's table of colour types and the bit depths each allows.
  const bool valid =
      (colour == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)) ||
      (colour == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
      ((colour == 2 || colour == 4 || colour == 6) && (depth == 8 || depth == 16));
  if (!valid)
    throw FileError(path, "corrupt PNG header: bit depth " + std::to_string(depth) +
                              " with colour type " + std::to_string(colour) +
                              " is not a PNG format");
  bool transparency = false;
  for (std::size_t pos = 8; std::memcmp(png.data() + pos + 4, "IEND", 4) != 0;
       pos += 12 + be32(png, pos))
    transparency = transparency || std::memcmp(png.data() + pos + 4, "tRNS", 4) == 0;
  static const std::size_t base_channels[] = {1, 0, 3, 3, 2, 0, 4};
  h.channels = base_channels[colour] + (transparency && colour <= 3 ? 1 : 0);
  h.bit_depth = depth == 16 ? 16 : 8;  // stb scales 1, 2 and 4 bits up to 8, expands palettes
  return h;
}

/// Checks the Huffman tables of a DHT segment (bytes [begin, end)): each is a class (0 DC, 1 AC)
/// and id (0-3), 16 counts of codes and the codes' values, at most 256 of them. Found by
/// tests/fuzz/fuzz_image.cpp in stb 2.27: counts adding up to more than 256 made stb write past
/// its tables (stbi__build_huffman), before it read the values.
template <class Fail>
void check_huffman_tables(const std::vector<unsigned char>& jpg, std::size_t at, std::size_t begin,
                          std::size_t end, Fail&& fail) {
  const std::string where = "Huffman table in the DHT segment at byte " + std::to_string(at);
  for (std::size_t p = begin; p < end;) {
    if (end - p < 17)
      fail(where + ": " + std::to_string(end - p) + " bytes left, 17 are needed for a table");
    const unsigned kind = jpg[p] >> 4, id = jpg[p] & 15;
    if (kind > 1 || id > 3)
      fail(where + ": class " + std::to_string(kind) + ", id " + std::to_string(id) +
           " (classes 0 and 1, ids 0 to 3 exist)");
    std::size_t codes = 0;
    for (std::size_t i = p + 1; i < p + 17; ++i)
      codes += jpg[i];
    if (codes > 256)
      fail(where + ": " + std::to_string(codes) + " codes, at most 256 are possible");
    if (codes > end - p - 17)
      fail(where + ": " + std::to_string(codes) + " codes, the segment has room for " +
           std::to_string(end - p - 17));
    p += 17 + codes;
  }
}

/// Walks a JPEG's markers from SOI to EOI before stb sees it: every segment must lie within
/// the file, a frame header (SOF) must come before the first scan, the Huffman tables must be
/// well-formed, and the file must not end before EOI (stb decodes a truncated JPEG without
/// complaint, padding it with grey). Returns
/// the size from the frame header. Refuses the kinds stb cannot decode, by name.
inline ImageHeader check_jpeg_markers(const std::vector<unsigned char>& jpg,
                                      const std::filesystem::path& path) {
  auto fail = [&](const std::string& what) {
    throw FileError(path, "cannot decode JPEG (truncated or corrupt): " + what);
  };
  auto marker_name = [](unsigned m) {
    static const char hex[] = "0123456789ABCDEF";
    return std::string("0xFF") + hex[m >> 4] + hex[m & 15];
  };
  const std::size_t n = jpg.size();
  ImageHeader h;
  bool frame = false;
  std::size_t pos = 2;  // after SOI
  while (true) {
    if (pos >= n) fail("the file ends at byte " + std::to_string(n) + " without an EOI marker");
    if (jpg[pos] != 0xFF)
      fail("byte " + std::to_string(pos) + " should start a marker (0xFF), it is " +
           std::to_string(jpg[pos]));
    const std::size_t at = pos;
    while (pos < n && jpg[pos] == 0xFF)  // a marker may be preceded by fill bytes
      ++pos;
    if (pos >= n) fail("the file ends at byte " + std::to_string(n) + " without an EOI marker");
    const unsigned m = jpg[pos++];
    if (m == 0xD9) {
      if (!frame) fail("no frame header (SOF marker) before the end of the image");
      return h;
    }
    if (m == 0x00 || m == 0xD8) fail("stray " + marker_name(m) + " at byte " + std::to_string(at));
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // segments without a length
    if (n - pos < 2) fail("the file ends at byte " + std::to_string(n) + " without an EOI marker");
    const std::size_t length = be16(jpg, pos);
    if (length < 2)
      fail("marker " + marker_name(m) + " at byte " + std::to_string(at) + " has length " +
           std::to_string(length));
    if (length > n - pos)
      fail("marker " + marker_name(m) + " at byte " + std::to_string(at) + " claims " +
           std::to_string(length) + " bytes, the file has " + std::to_string(n - pos) + " left");
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof) {
      if (frame)
        fail("a second frame header (" + marker_name(m) + ") at byte " + std::to_string(at));
      if (m != 0xC0 && m != 0xC1 && m != 0xC2)
        throw FileError(path,
                        "unsupported JPEG: " +
                            std::string(m == 0xC3   ? "lossless"
                                        : m >= 0xC9 ? "arithmetic-coded"
                                                    : "hierarchical") +
                            " (" + marker_name(m) +
                            "); baseline and progressive (Huffman-coded) JPEGs are supported");
      if (length < 8)
        fail("frame header (" + marker_name(m) + ") of " + std::to_string(length) +
             " bytes, at least 8 are needed");
      if (jpg[pos + 2] != 8)
        throw FileError(path, "unsupported JPEG: " + std::to_string(jpg[pos + 2]) +
                                  "-bit samples; 8-bit JPEGs are supported");
      h.height = be16(jpg, pos + 3);
      h.width = be16(jpg, pos + 5);
      check_image_size(path, "JPEG", h.width, h.height);
      frame = true;
    }
    if (m == 0xC4) check_huffman_tables(jpg, at, pos + 2, pos + length, fail);
    pos += length;
    if (m == 0xDA) {  // a scan: its entropy-coded data runs to the next marker
      if (!frame)
        fail("a scan (SOS marker) at byte " + std::to_string(at) +
             " before the frame header (SOF marker)");
      while (pos < n && !(jpg[pos] == 0xFF && pos + 1 < n && jpg[pos + 1] != 0x00 &&
                          !(jpg[pos + 1] >= 0xD0 && jpg[pos + 1] <= 0xD7)))
        ++pos;
    }
  }
}

/// libpng's error handling is setjmp/longjmp: its callbacks below keep to trivial objects,
/// and the function that calls setjmp creates none that a longjmp could skip.
struct PngWriteState {
  std::string* out = nullptr;
  char message[200] = "";
};

inline void png_write_bytes(png_structp png, png_bytep data, png_size_t size) {
  auto* state = static_cast<PngWriteState*>(png_get_io_ptr(png));
  bool failed = false;
  try {
    state->out->append(reinterpret_cast<const char*>(data), size);
  } catch (...) {
    failed = true;
  }
  if (failed) png_error(png, "out of memory");
}

inline void png_flush_nothing(png_structp) {}

[[noreturn]] inline void png_fail(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngWriteState*>(png_get_error_ptr(png));
  std::snprintf(state->message, sizeof state->message, "%s", message);
  png_longjmp(png, 1);
}

inline void png_ignore_warning(png_structp, png_const_charp) {}

/// Encodes the rows (already in PNG's byte order) into state.out; false on a libpng error.
inline bool png_encode(png_structp png, png_infop info, PngWriteState& state, png_uint_32 width,
                       png_uint_32 height, int bit_depth, int colour_type, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, &state, png_write_bytes, png_flush_nothing);
  png_set_IHDR(png, info, width, height, bit_depth, colour_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

}  // namespace detail

/// Reads a PNG or a JPEG (told apart by their signatures, not by the file's name).
///
/// PNG: gray, gray + alpha, RGB and RGBA come out with their own channels and bit depth (8 or
/// 16); 1-, 2- and 4-bit gray come out as 8-bit gray (scaled to 0..255), palette images as
/// 8-bit RGB, or RGBA when they have a tRNS chunk; a tRNS colour key on a gray or RGB image
/// adds an alpha channel. JPEG: 8-bit gray or RGB (YCbCr and CMYK are converted to RGB).
///
/// Throws io::FileError ("<path>: <problem>") when the path is not a regular file, the file is
/// neither format, it is truncated or corrupt (the PNG chunks or the JPEG markers do not fit
/// the file, stb cannot decode it), its header claims more than max_image_pixels pixels or none,
/// or it is a kind stb cannot decode (lossless, arithmetic-coded or 12-bit JPEG). JPEG has no
/// checksum: corrupt entropy-coded data within an intact structure decodes to wrong pixels.
inline Image read_image(const std::filesystem::path& path) {
  auto bytes = detail::read_file_bytes(path, "a PNG or JPEG file");
  static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  const bool png = bytes.size() >= 8 && std::memcmp(bytes.data(), png_signature, 8) == 0;
  const bool jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
  if (!png && !jpeg) throw FileError(path, "not a PNG or JPEG file (wrong signature)");
  const char* format = png ? "PNG" : "JPEG";
  detail::ImageHeader header;
  if (png) {
    detail::check_png_chunks(bytes, path);  // now every chunk's bytes are in the file
    header = detail::png_header(bytes, path);
  } else {
    header = detail::check_jpeg_markers(bytes, path);
  }
  if (bytes.size() > 0x7fffffff)
    throw FileError(path, std::string("cannot decode ") + format +
                              ": the file is over 2 GB, more than the decoder reads");
  const int len = int(bytes.size());
  if (jpeg) {
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &comp))
      throw FileError(path, std::string("corrupt JPEG header: ") + stbi_failure_reason());
    header.channels = comp == 1 ? 1 : 3;
  }
  const int want = int(header.channels);
  int w = 0, h = 0, file_channels = 0;
  std::unique_ptr<void, void (*)(void*)> pixels(
      header.bit_depth == 16 ? static_cast<void*>(stbi_load_16_from_memory(
                                   bytes.data(), len, &w, &h, &file_channels, want))
                             : static_cast<void*>(stbi_load_from_memory(bytes.data(), len, &w, &h,
                                                                        &file_channels, want)),
      stbi_image_free);
  if (!pixels)
    throw FileError(path, std::string("cannot decode ") + format +
                              " (truncated or corrupt): " + stbi_failure_reason());
  if (std::size_t(w) != header.width || std::size_t(h) != header.height)
    throw FileError(path, std::string("cannot decode ") + format +
                              " (truncated or corrupt): " + "the header says " +
                              std::to_string(header.width) + "x" + std::to_string(header.height) +
                              ", the decoder found " + std::to_string(w) + "x" + std::to_string(h));
  Image img(header.height, header.width, header.channels, header.bit_depth);
  const std::size_t count = header.height * header.width * header.channels;
  if (header.bit_depth == 16)
    std::memcpy(img.data(), pixels.get(), count * sizeof(std::uint16_t));
  else
    for (std::size_t i = 0; i < count; ++i)
      img.data()[i] = static_cast<const unsigned char*>(pixels.get())[i];
  return img;
}

/// `img` encoded as a PNG file's bytes, with its channels (gray, gray + alpha, RGB, RGBA) and
/// bit depth (8 or 16). `path` names the image in errors: std::invalid_argument for an empty
/// image or a sample above max_value(), io::FileError when libpng fails.
inline std::string encode_png(const Image& img, const std::filesystem::path& path = "image") {
  const std::size_t h = img.height(), w = img.width(), c = img.channels();
  if (h == 0 || w == 0 || h > 0x7fffffff || w > 0x7fffffff)
    throw std::invalid_argument(path.string() + ": cannot write a " + std::to_string(w) + "x" +
                                std::to_string(h) + " image as PNG");
  const std::size_t bytes_per_sample = img.bit_depth() == 16 ? 2 : 1;
  const std::size_t row_bytes = w * c * bytes_per_sample;
  std::vector<unsigned char> buffer(h * row_bytes);
  for (std::size_t i = 0; i < h * w * c; ++i) {
    const std::uint16_t v = img.data()[i];
    if (v > img.max_value())
      throw std::invalid_argument(path.string() + ": sample " + std::to_string(v) + " at row " +
                                  std::to_string(i / (w * c)) + ", column " +
                                  std::to_string(i / c % w) + ", channel " + std::to_string(i % c) +
                                  " is above " + std::to_string(img.max_value()) + " (" +
                                  std::to_string(img.bit_depth()) + "-bit image)");
    if (bytes_per_sample == 2) {  // PNG stores 16-bit samples big-endian
      buffer[2 * i] = static_cast<unsigned char>(v >> 8);
      buffer[2 * i + 1] = static_cast<unsigned char>(v & 0xff);
    } else {
      buffer[i] = static_cast<unsigned char>(v);
    }
  }
  std::vector<png_bytep> rows(h);
  for (std::size_t y = 0; y < h; ++y)
    rows[y] = buffer.data() + y * row_bytes;
  static const int colour_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};

  std::string png_bytes;
  detail::PngWriteState state;
  state.out = &png_bytes;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, detail::png_fail,
                                            detail::png_ignore_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  const bool ok = info && detail::png_encode(png, info, state, png_uint_32(w), png_uint_32(h),
                                             img.bit_depth(), colour_types[c - 1], rows.data());
  png_destroy_write_struct(&png, info ? &info : nullptr);
  if (!ok)
    throw FileError(path, std::string("cannot encode PNG: ") +
                              (state.message[0] ? state.message : "libpng could not start"));
  return png_bytes;
}

/// Writes `img` as a PNG (encode_png), atomically (io::write_atomically): on any error the
/// previous file, if any, is left untouched. Throws std::invalid_argument for an empty image or
/// a sample above max_value(), io::FileError when the file cannot be written.
inline void write_image(const std::filesystem::path& path, const Image& img) {
  const std::string png_bytes = encode_png(img, path);
  write_atomically(path, [&](ByteSink& out) { out.write(png_bytes); });
}

/// Writes 8-bit pixels (height x width x channels, row-major, channels 1 to 4) as a PNG,
/// atomically: write_image for a plain buffer.
inline void write_png(const std::filesystem::path& path, int width, int height, int channels,
                      const std::uint8_t* pixels) {
  if (width <= 0 || height <= 0)
    throw std::invalid_argument(path.string() + ": cannot write a " + std::to_string(width) + "x" +
                                std::to_string(height) + " image as PNG");
  Image img(std::size_t(height), std::size_t(width), std::size_t(channels), 8);
  std::copy(pixels, pixels + img.samples().size(), img.data());
  write_image(path, img);
}

}  // namespace ctnn::io
