#pragma once
/// \file
/// NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), read with every field validated and
/// written atomically. Supported dtypes: '|u1' (uint8), '<f4' (float32), '<f8' (float64).
/// Every error names the file and what is wrong with it.

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "ctnn/io/atomic_write.hpp"
#include "ctnn/io/file_error.hpp"

namespace ctnn::io {

/// What a .npy header says.
struct NpyHeader {
  std::string descr;  ///< '|u1', '<f4', '<f8'
  bool fortran_order = false;
  std::vector<std::size_t> shape;
  std::size_t data_offset = 0;  ///< bytes before the data
  std::size_t numel() const {
    std::size_t n = 1;
    for (auto d : shape)
      n *= d;
    return n;
  }
};

namespace detail {

inline std::size_t npy_item_size(const std::string& descr) {
  if (descr == "|u1" || descr == "<u1" || descr == "u1") return 1;
  if (descr == "<f4") return 4;
  if (descr == "<f8") return 8;
  return 0;
}

/// Parses the header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
class NpyDictParser {
 public:
  NpyDictParser(const std::string& text, const std::filesystem::path& path)
      : s_(text), path_(path) {}

  NpyHeader parse() {
    NpyHeader h;
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') {
        ++i_;
        break;
      }
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        h.descr = string_literal();
        has_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        has_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        has_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') ++i_;
    }
    if (!has_descr || !has_order || !has_shape) fail("missing 'descr', 'fortran_order' or 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FileError(path_, "malformed .npy header: " + what);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])))
      ++i_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string string_literal() {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    const std::size_t end = s_.find(q, i_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string v = s_.substr(i_ + 1, end - i_ - 1);
    i_ = end + 1;
    return v;
  }
  bool boolean() {
    skip_space();
    if (s_.compare(i_, 4, "True") == 0) {
      i_ += 4;
      return true;
    }
    if (s_.compare(i_, 5, "False") == 0) {
      i_ += 5;
      return false;
    }
    fail("fortran_order must be True or False");
  }
  std::vector<std::size_t> tuple() {
    expect('(');
    std::vector<std::size_t> v;
    while (true) {
      skip_space();
      if (peek() == ')') {
        ++i_;
        return v;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek())))
        fail("shape must be a tuple of non-negative integers");
      std::size_t x = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (x > (std::size_t(1) << 48)) fail("shape entry is too large");
        x = x * 10 + std::size_t(s_[i_++] - '0');
      }
      v.push_back(x);
      skip_space();
      if (peek() == ',')
        ++i_;
      else if (peek() != ')')
        fail("expected ',' or ')' in shape");
    }
  }

  const std::string& s_;
  const std::filesystem::path& path_;
  std::size_t i_ = 0;
};

inline std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + (shape.size() == 1 ? ",)" : ")");
}

template <class T>
constexpr const char* npy_descr() {
  if constexpr (std::is_same_v<T, std::uint8_t>)
    return "|u1";
  else if constexpr (std::is_same_v<T, float>)
    return "<f4";
  else if constexpr (std::is_same_v<T, double>)
    return "<f8";
  else
    static_assert(sizeof(T) == 0, ".npy supports uint8_t, float and double");
}

}  // namespace detail

/// An open .npy file whose header has been read and checked against the file's size.
class NpyReader {
 public:
  explicit NpyReader(const std::filesystem::path& path) : path_(path) {
    detail::require_regular_file(path, "a .npy file");
    in_.open(path, std::ios::binary);
    if (!in_) throw FileError(path, "cannot open for reading");
    std::error_code ec;
    const std::size_t file_size = std::size_t(std::filesystem::file_size(path, ec));
    if (ec) throw FileError(path, "cannot read its size: " + ec.message());
    char magic[8];
    if (!in_.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
      throw FileError(path, "not a .npy file (wrong magic bytes)");
    const int major = static_cast<unsigned char>(magic[6]);
    const int minor = static_cast<unsigned char>(magic[7]);
    std::size_t header_len = 0, prefix = 0;
    if (major == 1 && minor == 0) {
      unsigned char b[2];
      if (!in_.read(reinterpret_cast<char*>(b), 2)) throw FileError(path, "truncated .npy header");
      header_len = std::size_t(b[0]) | std::size_t(b[1]) << 8;
      prefix = 10;
    } else if ((major == 2 || major == 3) && minor == 0) {
      unsigned char b[4];
      if (!in_.read(reinterpret_cast<char*>(b), 4)) throw FileError(path, "truncated .npy header");
      header_len = std::size_t(b[0]) | std::size_t(b[1]) << 8 | std::size_t(b[2]) << 16 |
                   std::size_t(b[3]) << 24;
      prefix = 12;
    } else {
      throw FileError(path, "unsupported .npy format version " + std::to_string(major) + "." +
                                std::to_string(minor) + " (1.0, 2.0 and 3.0 are supported)");
    }
    if (prefix + header_len > file_size)
      throw FileError(path, "header length " + std::to_string(header_len) +
                                " runs past the end of the file (" + std::to_string(file_size) +
                                " bytes)");
    std::string text(header_len, '\0');
    in_.read(text.data(), std::streamsize(header_len));
    header_ = detail::NpyDictParser(text, path).parse();
    header_.data_offset = prefix + header_len;
    if (header_.descr.size() > 1 && header_.descr[0] == '>' && header_.descr != ">u1")
      throw FileError(path, "big-endian dtype '" + header_.descr + "' is not supported");
    item_size_ = detail::npy_item_size(header_.descr);
    if (item_size_ == 0)
      throw FileError(path, "unsupported dtype '" + header_.descr +
                                "' (supported: '|u1' uint8, '<f4' float32, '<f8' float64)");
    if (header_.fortran_order)
      throw FileError(path, "Fortran-order arrays are not supported (save with C order)");
    // The byte count, computed without overflow: a shape whose product wraps around (e.g.
    // (2^32, 2^32)) must not pass for a small array. The non-zero dimensions must multiply to
    // less than 2^63 bytes even when another is 0 (an empty array): xtensor computes strides
    // from them in signed arithmetic.
    constexpr std::size_t limit = std::size_t(std::numeric_limits<std::ptrdiff_t>::max());
    std::size_t extent = item_size_;  // bytes spanned by the non-zero dimensions
    bool empty = false, overflow = false;
    for (const auto d : header_.shape) {
      if (d == 0)
        empty = true;
      else if (extent > limit / d)
        overflow = true;
      else
        extent *= d;
    }
    const std::size_t have = file_size - header_.data_offset;
    if (overflow)
      throw FileError(path, "shape " + detail::shape_text(header_.shape) +
                                " is impossibly large (2^63 bytes or more); the file has " +
                                std::to_string(have) + " bytes of data");
    const std::size_t data = empty ? 0 : extent;
    if (have < data)
      throw FileError(path, "truncated: the header promises " + std::to_string(data) +
                                " bytes of data for shape " + detail::shape_text(header_.shape) +
                                ", the file has " + std::to_string(have));
    if (have > data)
      throw FileError(path, std::to_string(have - data) +
                                " bytes of unexpected data after the array (shape " +
                                detail::shape_text(header_.shape) + ")");
  }

  const NpyHeader& header() const { return header_; }
  const std::filesystem::path& path() const { return path_; }

  /// Reads the data into out (header().numel() values), converting to T. Floats cannot be read
  /// as uint8 (that would silently truncate).
  template <class T>
  void read(T* out) {
    const std::size_t n = header_.numel();
    if (item_size_ == 1) {
      std::vector<std::uint8_t> buf(n);
      read_bytes(buf.data(), n);
      for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<T>(buf[i]);
      return;
    }
    if constexpr (std::is_integral_v<T>) {
      throw FileError(path_, "dtype '" + header_.descr + "' cannot be read as integers");
    } else {
      if (item_size_ == sizeof(T)) {
        read_bytes(out, n * sizeof(T));
      } else if (item_size_ == 4) {
        std::vector<float> buf(n);
        read_bytes(buf.data(), n * 4);
        for (std::size_t i = 0; i < n; ++i)
          out[i] = static_cast<T>(buf[i]);
      } else {
        std::vector<double> buf(n);
        read_bytes(buf.data(), n * 8);
        for (std::size_t i = 0; i < n; ++i)
          out[i] = static_cast<T>(buf[i]);
      }
    }
  }

 private:
  void read_bytes(void* p, std::size_t n) {
    if (!in_.read(static_cast<char*>(p), std::streamsize(n)))
      throw FileError(path_, "read error (file changed while reading?)");
  }

  std::filesystem::path path_;
  std::ifstream in_;
  NpyHeader header_;
  std::size_t item_size_ = 0;
};

/// Loads any supported .npy file as T (uint8 files convert to float; float files do not
/// convert to uint8).
template <class T>
xt::xarray<T> load_npy(const std::filesystem::path& path) {
  NpyReader reader(path);
  xt::xarray<T> a = xt::xarray<T>::from_shape(reader.header().shape);
  reader.read(a.data());
  return a;
}

/// Loads a uint8 N x C x H x W array of images (numpy's layout for a stack of 8-bit images),
/// checking the dtype, the rank and the per-image shape C x H x W; the error names the file and
/// what it holds instead.
inline xt::xtensor<std::uint8_t, 4> load_image_batch(const std::filesystem::path& path,
                                                     std::size_t channels, std::size_t height,
                                                     std::size_t width) {
  NpyReader reader(path);
  const auto& h = reader.header();
  const std::string expected = "uint8 N x " + std::to_string(channels) + " x " +
                               std::to_string(height) + " x " + std::to_string(width);
  if (detail::npy_item_size(h.descr) != 1)
    throw FileError(path, "expected " + expected + " images, found dtype '" + h.descr + "'");
  if (h.shape.size() != 4)
    throw FileError(path, "expected " + expected + " images, found a rank-" +
                              std::to_string(h.shape.size()) + " array of shape " +
                              detail::shape_text(h.shape));
  if (h.shape[1] != channels || h.shape[2] != height || h.shape[3] != width)
    throw FileError(path,
                    "expected " + expected + " images, found shape " + detail::shape_text(h.shape));
  xt::xtensor<std::uint8_t, 4> a(std::array<std::size_t, 4>{h.shape[0], channels, height, width});
  reader.read(a.data());
  return a;
}

/// Writes `count` values of T with the given shape as a version 1.0 .npy file, atomically.
template <class T>
void save_npy(const std::filesystem::path& path, const T* data,
              const std::vector<std::size_t>& shape) {
  std::size_t n = 1;
  for (auto d : shape)
    n *= d;
  std::string header = std::string("{'descr': '") + detail::npy_descr<T>() +
                       "', 'fortran_order': False, 'shape': " + detail::shape_text(shape) + ", }";
  // Pad with spaces so that the data starts at a multiple of 64 bytes; end with a newline.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535) throw FileError(path, "shape too long for a .npy 1.0 header");
  write_atomically(path, [&](ByteSink& out) {
    const unsigned char prefix[10] = {0x93,
                                      'N',
                                      'U',
                                      'M',
                                      'P',
                                      'Y',
                                      1,
                                      0,
                                      static_cast<unsigned char>(header.size() & 0xff),
                                      static_cast<unsigned char>(header.size() >> 8)};
    out.write(prefix, 10);
    out.write(header);
    out.write(data, n * sizeof(T));
  });
}

template <class E>
void save_npy(const std::filesystem::path& path, const E& array) {
  using T = typename E::value_type;
  const auto& s = array.shape();
  save_npy<T>(path, array.data(), std::vector<std::size_t>(s.begin(), s.end()));
}

}  // namespace ctnn::io
