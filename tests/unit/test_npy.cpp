// .npy round trips for the three dtypes and the data set's layout, and every kind of malformed
// file refused with a message that names the file and the problem.

#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "ctnn/io/npy.hpp"

namespace fs = std::filesystem;
using namespace ctnn;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("ctnn_test_npy_" + std::to_string(::getpid()));
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A .npy file byte by byte: any version, any header text, any amount of data.
std::string npy_bytes(const std::string& dict, std::size_t data_bytes, int major = 1,
                      int minor = 0) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(major);
  out += char(minor);
  const std::size_t n = header.size();
  out += char(n & 0xff);
  out += char((n >> 8) & 0xff);
  if (major != 1) out += std::string(2, '\0');
  return out + header + std::string(data_bytes, '\x07');
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

fs::path write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  const fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

// Loading `file` as images fails with a message naming the file and containing `words`.
template <class Load>
void expect_error(const fs::path& file, Load load, const std::string& words) {
  INFO(file.filename().string() << ": expected an error containing \"" << words << "\"");
  try {
    load(file);
    FAIL("no error");
  } catch (const io::FileError& e) {
    const std::string what = e.what();
    INFO("message: " << what);
    CHECK(what.find(file.string()) != std::string::npos);
    CHECK(what.find(words) != std::string::npos);
  }
}

const auto as_images = [](const fs::path& p) { io::load_image_batch(p, 3, 32, 32); };
const auto as_float = [](const fs::path& p) { io::load_npy<float>(p); };

}  // namespace

TEST_CASE("npy round trip for uint8, float and double", "[npy]") {
  TempDir dir;
  xt::xtensor<std::uint8_t, 4> images = xt::xtensor<std::uint8_t, 4>::from_shape({5, 3, 32, 32});
  for (std::size_t i = 0; i < images.size(); ++i)
    images.data()[i] = static_cast<std::uint8_t>(i * 37 % 256);
  io::save_npy(dir.path / "images.npy", images);
  CHECK((io::load_image_batch(dir.path / "images.npy", 3, 32, 32) == images));
  CHECK((io::load_npy<std::uint8_t>(dir.path / "images.npy") == xt::xarray<std::uint8_t>(images)));
  // uint8 widens to float.
  CHECK(io::load_npy<float>(dir.path / "images.npy")(4, 2, 31, 31) == float(images(4, 2, 31, 31)));

  xt::xarray<float> f = {{1.5f, -2.25f, 3e-8f}, {1e30f, 0.0f, -0.0f}};
  io::save_npy(dir.path / "f.npy", f);
  CHECK((io::load_npy<float>(dir.path / "f.npy") == f));
  CHECK(io::load_npy<double>(dir.path / "f.npy")(0, 1) == -2.25);

  xt::xarray<double> d = {0.1, 1e-300, -7.0};
  io::save_npy(dir.path / "d.npy", d);
  CHECK((io::load_npy<double>(dir.path / "d.npy") == d));

  // The header is what numpy writes: version 1.0, data aligned to 64 bytes.
  std::ifstream in(dir.path / "images.npy", std::ios::binary);
  std::string head(128, '\0');
  in.read(head.data(), 128);
  CHECK(head.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t header_len = std::uint8_t(head[8]) | std::uint8_t(head[9]) << 8;
  CHECK((10 + header_len) % 64 == 0);
  CHECK(head.find("'descr': '|u1'") != std::string::npos);
  CHECK(head.find("'shape': (5, 3, 32, 32)") != std::string::npos);
  CHECK(fs::file_size(dir.path / "images.npy") == 10 + header_len + images.size());
}

TEST_CASE("npy versions 2.0 and 3.0 are read", "[npy]") {
  TempDir dir;
  for (int major : {2, 3}) {
    const std::string name = major == 2 ? "v2.npy" : "v3.npy";
    const auto p = write(dir.path, name, npy_bytes(dict("|u1", "(1, 3, 32, 32)"), 3072, major));
    CHECK(io::load_image_batch(p, 3, 32, 32).shape()[0] == 1);
  }
}

TEST_CASE("malformed npy files are refused with the file and the problem", "[npy]") {
  TempDir dir;
  const fs::path& d = dir.path;
  const std::string ok = dict("|u1", "(2, 3, 32, 32)");

  expect_error(write(d, "magic.npy", "PK\x03\x04 this is a zip"), as_images, "magic");
  expect_error(write(d, "empty.npy", ""), as_images, "magic");
  expect_error(write(d, "version.npy", npy_bytes(ok, 6144, 4)), as_images, "version 4.0");
  expect_error(write(d, "minor.npy", npy_bytes(ok, 6144, 1, 1)), as_images, "version 1.1");
  expect_error(write(d, "int16.npy", npy_bytes(dict("<i2", "(2, 3, 32, 32)"), 12288)), as_float,
               "'<i2'");
  expect_error(write(d, "big.npy", npy_bytes(dict(">f4", "(4,)"), 16)), as_float, "big-endian");
  expect_error(write(d, "fortran.npy", npy_bytes(dict("|u1", "(2, 3, 32, 32)", true), 6144)),
               as_images, "ortran");
  expect_error(write(d, "truncated.npy", npy_bytes(ok, 1000)), as_images, "truncated");
  expect_error(write(d, "trailing.npy", npy_bytes(ok, 6145)), as_images,
               "unexpected data after the array");
  expect_error(write(d, "not_dict.npy", npy_bytes("[1, 2, 3]", 0)), as_float, "header");
  expect_error(write(d, "no_shape.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, }", 0)),
               as_float, "shape");

  // The header length field claims more bytes than the file has.
  std::string lying = npy_bytes(ok, 6144);
  lying[8] = '\xff';
  lying[9] = '\x7f';
  lying.resize(200);
  expect_error(write(d, "header_len.npy", lying), as_images, "32767");

  // Valid files, but not images in the course's layout.
  expect_error(write(d, "float_images.npy", npy_bytes(dict("<f4", "(2, 3, 32, 32)"), 24576)),
               as_images, "<f4");
  expect_error(write(d, "rank3.npy", npy_bytes(dict("|u1", "(3, 32, 32)"), 3072)), as_images,
               "(3, 32, 32)");
  expect_error(write(d, "shape64.npy", npy_bytes(dict("|u1", "(1, 3, 64, 64)"), 12288)), as_images,
               "(1, 3, 64, 64)");
  // Float data never silently becomes uint8.
  expect_error(
      write(d, "floats.npy", npy_bytes(dict("<f4", "(4,)"), 16)),
      [](const fs::path& p) { io::load_npy<std::uint8_t>(p); }, "<f4");
  expect_error(d / "missing.npy", as_images, "no such file");
}

TEST_CASE("saving names the file when its directory is missing, and leaves no temp file", "[npy]") {
  TempDir dir;
  const xt::xarray<float> a = {1.0f, 2.0f};
  expect_error(
      dir.path / "no_such_dir" / "a.npy", [&](const fs::path& p) { io::save_npy(p, a); },
      "does not exist");
  io::save_npy(dir.path / "a.npy", a);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path))
    ++files;
  CHECK(files == 1);  // no a.npy.tmp.<pid> left behind
}
