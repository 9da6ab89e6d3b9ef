#pragma once
/// \file
/// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON
///   {"__metadata__": {"key": "value", ...},
///    "<name>": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...}
/// then the raw little-endian tensor data; offsets are relative to the start of the data.
/// Reading validates everything and names the file and the problem.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctnn/io/atomic_write.hpp"
#include "ctnn/io/file_error.hpp"

namespace ctnn::io {

static_assert(std::endian::native == std::endian::little,
              "ctnn's file formats are written on little-endian machines only");

/// Bytes per element of a safetensors dtype, 0 if the dtype is unknown.
inline std::size_t safetensors_dtype_size(const std::string& dtype) {
  static const std::map<std::string, std::size_t> sizes = {
      {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2},
      {"I8", 1},  {"U8", 1},  {"U16", 2}, {"U32", 4},  {"U64", 8}, {"BOOL", 1}};
  const auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

inline std::string shape_string(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

/// One tensor of a safetensors file, as the header describes it.
struct SafetensorsEntry {
  std::string dtype;
  std::vector<std::size_t> shape;
  std::size_t begin = 0, end = 0;  ///< byte offsets into the data section
  std::size_t numel() const {
    std::size_t n = 1;
    for (auto d : shape)
      n *= d;
    return n;
  }
};

/// A safetensors file read into memory and validated.
class SafetensorsFile {
 public:
  /// Largest header accepted (the format's own reference implementation uses 100 MB).
  static constexpr std::uint64_t max_header_size = 100'000'000;

  explicit SafetensorsFile(const std::filesystem::path& path) : path_(path) {
    detail::require_regular_file(path, "a safetensors file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FileError(path, "cannot open for reading");
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw FileError(path, "read error");
    parse();
  }

  const std::filesystem::path& path() const { return path_; }
  const std::map<std::string, SafetensorsEntry>& tensors() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const SafetensorsEntry& entry(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) throw FileError(path_, "no tensor named '" + name + "'");
    return it->second;
  }

  /// The tensor's values converted to T; F32, F64, U8, I32 and I64 tensors can be read.
  template <class T>
  void read_values(const std::string& name, T* out) const {
    const auto& e = entry(name);
    const char* p = data_begin() + e.begin;
    const std::size_t n = e.numel();
    auto convert = [&](auto tag) {
      using S = decltype(tag);
      for (std::size_t i = 0; i < n; ++i) {
        S v;
        std::memcpy(&v, p + i * sizeof(S), sizeof(S));
        out[i] = static_cast<T>(v);
      }
    };
    if (e.dtype == "F32")
      convert(float{});
    else if (e.dtype == "F64")
      convert(double{});
    else if (e.dtype == "U8")
      convert(std::uint8_t{});
    else if (e.dtype == "I32")
      convert(std::int32_t{});
    else if (e.dtype == "I64")
      convert(std::int64_t{});
    else
      throw FileError(path_, "tensor '" + name + "': dtype " + e.dtype + " cannot be read");
  }
  template <class T>
  std::vector<T> values(const std::string& name) const {
    std::vector<T> v(entry(name).numel());
    read_values(name, v.data());
    return v;
  }

 private:
  const char* data_begin() const { return bytes_.data() + 8 + header_size_; }

  [[noreturn]] void fail(const std::string& what) const { throw FileError(path_, what); }

  void parse() {
    if (bytes_.size() < 8)
      fail("not a safetensors file: " + std::to_string(bytes_.size()) +
           " bytes, too short for the 8-byte header length");
    std::uint64_t n;
    std::memcpy(&n, bytes_.data(), 8);
    if (n > max_header_size || n > bytes_.size() - 8)
      fail("not a safetensors file? header length " + std::to_string(n) +
           " runs past the end of the file (" + std::to_string(bytes_.size()) + " bytes)");
    header_size_ = std::size_t(n);
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(bytes_.begin() + 8, bytes_.begin() + 8 + std::ptrdiff_t(n));
    } catch (const nlohmann::json::exception& e) {
      fail(std::string("invalid JSON header: ") + e.what());
    }
    if (!header.is_object()) fail("invalid header: the JSON is not an object");
    const std::size_t data_size = bytes_.size() - 8 - header_size_;
    for (const auto& [key, value] : header.items()) {
      if (key == "__metadata__") {
        if (!value.is_object()) fail("invalid header: __metadata__ is not an object");
        for (const auto& [mk, mv] : value.items()) {
          if (!mv.is_string())
            fail("invalid header: __metadata__ value '" + mk + "' is not a string");
          metadata_[mk] = mv.get<std::string>();
        }
        continue;
      }
      entries_[key] = parse_entry(key, value, data_size);
    }
    // The data section must be covered exactly once: no overlap, no gap, nothing after.
    std::vector<std::pair<std::size_t, std::string>> order;
    for (const auto& [name, e] : entries_)
      order.emplace_back(e.begin, name);
    std::sort(order.begin(), order.end());
    std::size_t expect = 0;
    for (const auto& [begin, name] : order) {
      const auto& e = entries_[name];
      if (e.begin < expect)
        fail("tensor '" + name + "': data offsets [" + std::to_string(e.begin) + ", " +
             std::to_string(e.end) + ") overlap another tensor");
      if (e.begin > expect)
        fail("tensor '" + name + "': data offsets leave a gap of " +
             std::to_string(e.begin - expect) + " bytes before it");
      expect = e.end;
    }
    if (expect != data_size)
      fail("data section is " + std::to_string(data_size) + " bytes but the tensors cover " +
           std::to_string(expect));
  }

  SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& v,
                               std::size_t data_size) const {
    const std::string where = "tensor '" + name + "': ";
    if (!v.is_object()) fail(where + "header entry is not an object");
    SafetensorsEntry e;
    if (!v.contains("dtype") || !v["dtype"].is_string()) fail(where + "missing dtype");
    e.dtype = v["dtype"].get<std::string>();
    const std::size_t elem = safetensors_dtype_size(e.dtype);
    if (elem == 0) fail(where + "unknown dtype '" + e.dtype + "'");
    if (!v.contains("shape") || !v["shape"].is_array()) fail(where + "missing shape");
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) fail(where + "shape has a non-integer or negative entry");
      e.shape.push_back(d.get<std::size_t>());
    }
    const auto& off = v.contains("data_offsets") ? v["data_offsets"] : nlohmann::json();
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      fail(where + "data_offsets must be two non-negative integers");
    e.begin = off[0].get<std::size_t>();
    e.end = off[1].get<std::size_t>();
    if (e.begin > e.end || e.end > data_size)
      fail(where + "data offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
           ") are out of range (the data section is " + std::to_string(data_size) + " bytes)");
    std::size_t numel = 1;
    for (auto d : e.shape) {
      if (d != 0 && numel > (std::size_t(1) << 48) / d) fail(where + "shape is absurdly large");
      numel *= d;
    }
    if (e.end - e.begin != numel * elem)
      fail(where + "shape " + shape_string(e.shape) + " of " + e.dtype + " needs " +
           std::to_string(numel * elem) + " bytes but its offsets span " +
           std::to_string(e.end - e.begin));
    return e;
  }

  std::filesystem::path path_;
  std::vector<char> bytes_;
  std::size_t header_size_ = 0;
  std::map<std::string, SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

/// A tensor to write: raw little-endian bytes with their dtype and shape.
struct SafetensorsTensor {
  std::string name;
  std::string dtype;  ///< "F32", "F64", "U8", "I64", ...
  std::vector<std::size_t> shape;
  const void* data = nullptr;
  std::size_t bytes = 0;
};

/// Writes a safetensors file atomically (temporary file, fsync, rename). Tensors are laid out
/// in the given order; the header is padded with spaces to a multiple of 8 bytes.
inline void write_safetensors(const std::filesystem::path& path,
                              const std::vector<SafetensorsTensor>& tensors,
                              const std::map<std::string, std::string>& metadata = {}) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const auto& t : tensors) {
    std::size_t numel = 1;
    for (auto d : t.shape)
      numel *= d;
    const std::size_t elem = safetensors_dtype_size(t.dtype);
    if (elem == 0 || numel * elem != t.bytes)
      throw FileError(path, "cannot write tensor '" + t.name + "': " + std::to_string(t.bytes) +
                                " bytes do not match dtype " + t.dtype + " and shape " +
                                shape_string(t.shape));
    header[t.name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes}}};
    offset += t.bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  write_atomically(path, [&](ByteSink& out) {
    const std::uint64_t n = text.size();
    out.write(&n, 8);
    out.write(text);
    for (const auto& t : tensors)
      out.write(t.data, t.bytes);
  });
}

}  // namespace ctnn::io
