// Bad input: every file of tests/data/bad/ (written by tools/fixtures/make_bad_corpus.py) is
// refused with the right exception, whose message starts with the file's path, names the problem
// and is one line; missing paths, directories, devices and unwritable outputs too; NaN and infinity
// in a network's input or weights. (The PNG cases, which need stb linked, are in
// tests/bad_input/test_bad_png.cpp.)

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/npy.hpp"
#include "ctnn/io/training_state.hpp"
#include "file_error_check.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

namespace {

const fs::path bad_dir = fs::path(CTNN_TEST_DATA_DIR) / "bad";

/// The network of the weight-file cases (tools/fixtures/make_bad_corpus.py writes its state_dict).
using Tiny = Sequential<Input<1, 4, 4>, Conv2d<1, 2, 3>, ReLU, ConvTranspose2d<2, 1, 3>>;

using test::expect_file_error;

void expect_bad(const std::string& name, const std::function<void(const fs::path&)>& load,
                std::initializer_list<std::string> parts) {
  REQUIRE(fs::is_regular_file(bad_dir / name));
  expect_file_error(bad_dir / name, load, parts);
}

const auto load_images = [](const fs::path& p) { io::load_image_batch(p, 3, 32, 32); };
const auto open_safetensors = [](const fs::path& p) { io::SafetensorsFile{p}; };
const auto load_tiny = [](const fs::path& p) {
  Tiny net{Seed{0}};
  io::load_weights(net, p);
};

fs::path temp_dir() {
  const fs::path d =
      fs::temp_directory_path() / ("ctnn_test_bad_input_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("the bad corpus is there", "[bad_input]") {
  REQUIRE(fs::is_directory(bad_dir));
  CHECK(files_in(bad_dir) >= 50);
}

TEST_CASE("bad .npy files are refused with the file and the problem", "[bad_input][npy]") {
  const std::string magic = "not a .npy file (wrong magic bytes)";
  expect_bad("npy_empty.npy", load_images, {magic});
  expect_bad("npy_wrong_magic.npy", load_images, {magic});
  expect_bad("npy_text_file.npy", load_images, {magic});
  expect_bad("npy_wrong_version.npy", load_images,
             {"unsupported .npy format version 9.0 (1.0, 2.0 and 3.0 are supported)"});
  expect_bad("npy_dtype_int16.npy", load_images, {"unsupported dtype '<i2'"});
  expect_bad("npy_dtype_big_endian.npy", load_images, {"big-endian dtype '>f4'"});
  expect_bad("npy_dtype_float32_images.npy", load_images,
             {"expected uint8 N x 3 x 32 x 32 images, found dtype '<f4'"});
  expect_bad("npy_fortran_order.npy", load_images, {"Fortran-order arrays are not supported"});
  expect_bad("npy_rank3.npy", load_images,
             {"expected uint8 N x 3 x 32 x 32 images, found a rank-3 array of shape (3, 32, 32)"});
  expect_bad("npy_shape_64x64.npy", load_images,
             {"expected uint8 N x 3 x 32 x 32 images, found shape (2, 3, 64, 64)"});
  expect_bad("npy_shape_1_channel.npy", load_images, {"found shape (2, 1, 32, 32)"});
  expect_bad("npy_truncated.npy", load_images,
             {"truncated: the header promises 6144 bytes of data for shape (2, 3, 32, 32), the "
              "file has 5144"});
  expect_bad("npy_trailing_bytes.npy", load_images,
             {"16 bytes of unexpected data after the array"});
  expect_bad("npy_header_len_past_end.npy", load_images,
             {"header length 60000 runs past the end of the file (200 bytes)"});
  expect_bad("npy_header_len_short.npy", load_images, {"malformed .npy header"});
  expect_bad("npy_header_not_dict.npy", load_images, {"malformed .npy header: expected '{'"});
  expect_bad("npy_header_unknown_key.npy", load_images,
             {"malformed .npy header: unexpected key 'x'"});
  expect_bad("npy_shape_overflow.npy", load_images,
             {"shape (4294967296, 4294967296, 3, 32, 32) is impossibly large"});
  expect_bad("npy_shape_huge.npy", load_images, {"is impossibly large"});
  expect_bad("npy_empty_but_huge_shape.npy", [](const fs::path& p) { io::load_npy<float>(p); },
             {"shape (0, 4294967296, 3, 32, 394967296, 3, 32, 32) is impossibly large"});
  // The generic loader refuses the same files, and floats as integers.
  expect_bad("npy_shape_overflow.npy", [](const fs::path& p) { io::load_npy<float>(p); },
             {"impossibly large"});
  expect_bad("npy_truncated.npy", [](const fs::path& p) { io::load_npy<double>(p); },
             {"truncated"});
  expect_bad("npy_nan_input.npy", [](const fs::path& p) { io::load_npy<std::uint8_t>(p); },
             {"dtype '<f4' cannot be read as integers"});
}

TEST_CASE("malformed safetensors files are refused with the file and the problem",
          "[bad_input][safetensors]") {
  expect_bad("st_too_short.safetensors", open_safetensors,
             {"3 bytes, too short for the 8-byte header length"});
  expect_bad("st_header_len_past_end.safetensors", open_safetensors,
             {"header length 4096 runs past the end of the file (72 bytes)"});
  expect_bad("st_header_len_huge.safetensors", open_safetensors,
             {"header length 9223372036854775813 runs past the end"});
  expect_bad("st_invalid_json.safetensors", open_safetensors, {"invalid JSON header"});
  expect_bad("st_json_not_object.safetensors", open_safetensors, {"the JSON is not an object"});
  expect_bad("st_entry_not_object.safetensors", open_safetensors,
             {"tensor 'a': header entry is not an object"});
  expect_bad("st_missing_dtype.safetensors", open_safetensors, {"tensor 'a': missing dtype"});
  expect_bad("st_unknown_dtype.safetensors", open_safetensors, {"tensor 'a': unknown dtype 'F24'"});
  expect_bad("st_negative_shape.safetensors", open_safetensors,
             {"tensor 'a': shape has a non-integer or negative entry"});
  expect_bad("st_offsets_out_of_range.safetensors", open_safetensors,
             {"tensor 'a': data offsets [0, 16) are out of range (the data section is 8 bytes)"});
  expect_bad("st_offsets_reversed.safetensors", open_safetensors,
             {"tensor 'a': data offsets [8, 0) are out of range"});
  expect_bad("st_offsets_overlap.safetensors", open_safetensors,
             {"tensor 'b': data offsets [4, 12) overlap another tensor"});
  expect_bad("st_offsets_gap.safetensors", open_safetensors,
             {"tensor 'b': data offsets leave a gap of 4 bytes before it"});
  expect_bad("st_shape_size_mismatch.safetensors", open_safetensors,
             {"tensor 'a': shape [3] of F32 needs 12 bytes but its offsets span 8"});
  expect_bad("st_shape_overflow.safetensors", open_safetensors,
             {"tensor 'a': shape is absurdly large"});
  expect_bad("st_trailing_data.safetensors", open_safetensors,
             {"data section is 16 bytes but the tensors cover 8"});
  expect_bad("st_metadata_not_string.safetensors", open_safetensors,
             {"__metadata__ value 'epoch' is not a string"});
}

TEST_CASE("weight files that do not fit the network are refused, and change nothing",
          "[bad_input][safetensors][checkpoint]") {
  // The control: the same network's weights load.
  Tiny net{Seed{0}};
  io::load_weights(net, bad_dir / "st_valid_tiny_weights.safetensors");
  CHECK(net.parameters()[0].value[0] == -0.5f);

  expect_bad("st_weights_missing_tensor.safetensors", load_tiny,
             {"missing tensor '2.bias' (expected shape [1])"});
  expect_bad("st_weights_extra_tensor.safetensors", load_tiny,
             {"unexpected tensor '4.weight' [1, 1, 3, 3]", "has no such parameter"});
  expect_bad("st_weights_wrong_shape.safetensors", load_tiny,
             {"tensor '0.weight': expected shape [2, 1, 3, 3], found [2, 1, 5, 5]"});
  expect_bad("st_weights_int_dtype.safetensors", load_tiny,
             {"tensor '0.bias': dtype I32, expected F32 or F64"});
  expect_bad("st_weights_other_network.safetensors", load_tiny,
             {"checkpoint is of another network: saved from Sequential<Input<3,32,32>,ReLU>"});
  expect_bad("st_weights_nan.safetensors", load_tiny,
             {"tensor '0.bias' holds NaN at flat index 1 of shape [2]"});
  expect_bad("st_weights_inf.safetensors", load_tiny,
             {"tensor '2.weight' holds an infinite value at flat index 7 of shape [2, 1, 3, 3]"});

  // A refused file changes nothing, even when only its last tensor is wrong.
  Tiny fresh{Seed{3}}, same{Seed{3}};
  CHECK_THROWS_AS(io::load_weights(fresh, bad_dir / "st_weights_inf.safetensors"), io::FileError);
  const auto a = fresh.parameters(), b = same.parameters();
  for (std::size_t k = 0; k < a.size(); ++k)
    for (std::size_t i = 0; i < a[k].size; ++i)
      CHECK(a[k].value[i] == b[k].value[i]);
}

TEST_CASE("training checkpoints: not weights, and a NaN in the optimizer state is refused",
          "[bad_input][checkpoint]") {
  const auto dir = temp_dir();
  Tiny net{Seed{1}};
  Adam<float> opt(net.parameters(), {.lr = 1e-3});
  io::save_training_state(dir / "state.safetensors", net, opt, {});
  // Not a weights file: load_weights says what it is.
  expect_file_error(
      dir / "state.safetensors", load_tiny,
      {"unexpected tensor 'optimizer.", "this is a training checkpoint", "load_training_state"});
  // Rewrite the file with one optimizer value replaced by NaN.
  const io::SafetensorsFile good(dir / "state.safetensors");
  std::vector<std::vector<float>> values;
  std::vector<io::SafetensorsTensor> tensors;
  for (const auto& [name, e] : good.tensors()) {
    values.push_back(good.values<float>(name));
    if (name == "optimizer.exp_avg_sq.2.weight") values.back()[4] = std::nanf("");
    tensors.push_back({name, "F32", e.shape, values.back().data(), values.back().size() * 4});
  }
  io::write_safetensors(dir / "nan.safetensors", tensors, good.metadata());
  Tiny other{Seed{2}};
  Adam<float> other_opt(other.parameters(), {.lr = 1e-3});
  expect_file_error(dir / "nan.safetensors",
                    [&](const fs::path& p) { io::load_training_state(p, other, other_opt); },
                    {"tensor 'optimizer.exp_avg_sq.2.weight' holds NaN at flat index 4"});
  fs::remove_all(dir);
}

TEST_CASE("missing paths, directories and devices are refused by every reader",
          "[bad_input][paths]") {
  const std::vector<std::pair<std::string, std::function<void(const fs::path&)>>> readers = {
      {"a .npy file", load_images},
      {"a .npy file", [](const fs::path& p) { io::load_npy<float>(p); }},
      {"a safetensors file", open_safetensors},
      {"a safetensors file", load_tiny},
  };
  for (const auto& [expected, read] : readers) {
    expect_file_error(bad_dir / "no_such_file.bin", read, {"no such file"});
    expect_file_error(bad_dir, read, {"is a directory, expected " + expected});
    expect_file_error("/dev/null", read, {"is not a regular file, expected " + expected});
  }
}

TEST_CASE("an unwritable output path is refused and leaves no file behind",
          "[bad_input][paths][atomic]") {
  // Tests run as root, who may write anywhere; a path under a regular file is unwritable for
  // everyone.
  const auto dir = temp_dir();
  std::ofstream(dir / "plain_file") << "x";
  const std::uint8_t bytes[4] = {1, 2, 3, 4};
  Tiny net{Seed{0}};
  expect_file_error(dir / "plain_file" / "out.npy",
                    [&](const fs::path& p) { io::save_npy(p, bytes, {4}); },
                    {"cannot write: " + (dir / "plain_file").string() + " is not a directory"});
  expect_file_error(dir / "plain_file" / "sub" / "w.safetensors",
                    [&](const fs::path& p) { io::save_weights(net, p); },
                    {"cannot write: " + (dir / "plain_file" / "sub").string() + " does not exist"});
  expect_file_error(dir / "no_dir" / "w.safetensors",
                    [&](const fs::path& p) { io::save_weights(net, p); }, {"does not exist"});
  fs::create_directory(dir / "a_dir");
  expect_file_error(dir / "a_dir", [&](const fs::path& p) { io::save_npy(p, bytes, {4}); },
                    {"cannot write: it is a directory"});
  CHECK(files_in(dir) == 2);  // plain_file and a_dir: nothing written, no temporary left
  CHECK(files_in(dir / "a_dir") == 0);
  fs::remove_all(dir);
}

TEST_CASE("NaN or infinity in a network's input is refused, naming the element",
          "[bad_input][nan]") {
  Tiny net{Seed{0}};
  auto forward = [&](const std::string& file) {
    const auto a = io::load_npy<float>(bad_dir / file);  // permissive: floats may be anything
    xt::xtensor<float, 4> x = a;
    net.forward(x);
  };
  CHECK_THROWS_AS(forward("npy_nan_input.npy"), InputError);
  CHECK_THROWS_WITH(forward("npy_nan_input.npy"),
                    "Sequential::forward: input[0, 0, 1, 2] (sample 0, channel 0, row 1, column "
                    "2) is NaN: a network needs finite inputs");
  CHECK_THROWS_WITH(forward("npy_inf_input.npy"),
                    Catch::Contains("input[0, 0, 3, 0] (sample 0, channel 0, row 3, column 0) is "
                                    "-infinity"));
  // InputError is an invalid_argument, like ShapeError.
  CHECK_THROWS_AS(forward("npy_inf_input.npy"), std::invalid_argument);
  xt::xtensor<float, 4> x = xt::zeros<float>({3, 1, 4, 4});
  x(2, 0, 3, 3) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(net.forward(x),
                    Catch::Contains("input[2, 0, 3, 3]") && Catch::Contains("is +infinity"));
  x(2, 0, 3, 3) = 1.0f;
  CHECK(net.forward(x).batch_size() == 3);  // finite: fine
}
