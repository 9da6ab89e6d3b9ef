// Weights as safetensors: round trip, architecture and shape checks, atomic writes, and
// malformed files.

#include <cstring>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/training_state.hpp"
#include "ctnn/models/noise2noise.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
  const fs::path d =
      fs::temp_directory_path() / ("ctnn_test_checkpoint_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}
void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}
std::string header_file(const std::string& json, const std::string& data) {
  std::uint64_t n = json.size();
  std::string s(8, '\0');
  std::memcpy(s.data(), &n, 8);
  return s + json + data;
}
}  // namespace

TEST_CASE("Weights round-trip through safetensors", "[checkpoint]") {
  const auto dir = temp_dir();
  models::InitialDenoiser<> a{Seed{1}}, b{Seed{2}};
  io::save_weights(a, dir / "w.safetensors");
  io::load_weights(b, dir / "w.safetensors");
  const auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t k = 0; k < pa.size(); ++k)
    CHECK(std::memcmp(pa[k].value, pb[k].value, pa[k].size * sizeof(float)) == 0);
  const io::SafetensorsFile f(dir / "w.safetensors");
  CHECK(f.metadata().at("ctnn_network") == models::InitialDenoiser<>::name());
  CHECK(f.entry("2.weight").shape == std::vector<std::size_t>{32, 32, 3, 3});
  CHECK(f.entry("4.weight").dtype == "F32");
  fs::remove_all(dir);
}

TEST_CASE("A checkpoint of another architecture does not load", "[checkpoint][errors]") {
  const auto dir = temp_dir();
  models::InitialDenoiser<> a{Seed{1}};
  models::UpsampleDenoiser<> u{Seed{1}};
  io::save_weights(a, dir / "w.safetensors");
  const auto before = u.parameters()[0].value[0];
  CHECK_THROWS_WITH(io::load_weights(u, dir / "w.safetensors"),
                    Catch::Contains("w.safetensors") && Catch::Contains("another network"));
  CHECK(u.parameters()[0].value[0] == before);  // nothing changed

  // Without the ctnn metadata (as from PyTorch), names and shapes still catch it.
  Conv2d<3, 4, 3>::bind<Shape<3, 8, 8>>::scalar_type w[4 * 3 * 9] = {};
  float bias[4] = {};
  io::write_safetensors(dir / "torch.safetensors", {{"0.weight", "F32", {4, 3, 3, 3}, w, sizeof w},
                                                    {"0.bias", "F32", {4}, bias, sizeof bias}});
  CHECK_THROWS_WITH(
      io::load_weights(a, dir / "torch.safetensors"),
      Catch::Contains("'0.weight': expected shape [32, 3, 3, 3], found [4, 3, 3, 3]"));
  fs::remove_all(dir);
}

TEST_CASE("Malformed safetensors files are refused with the file and the problem",
          "[checkpoint][errors]") {
  const auto dir = temp_dir();
  const auto p = dir / "bad.safetensors";
  auto expect_error = [&](const std::string& bytes, const std::string& what) {
    write_bytes(p, bytes);
    INFO(what);
    CHECK_THROWS_WITH(io::SafetensorsFile(p), Catch::Contains(p.string()) && Catch::Contains(what));
  };
  expect_error("abc", "too short");
  expect_error(header_file("{}", "").substr(0, 8) + "{", "runs past the end");
  expect_error(header_file("{not json", ""), "invalid JSON");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})",
                           std::string(8, '\0')),
               "out of range");
  expect_error(
      header_file(R"({"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')),
      "unknown dtype");
  expect_error(
      header_file(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
          std::string(8, '\0')),
      "overlap");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                           std::string(8, '\0')),
               "needs 12 bytes");
  CHECK_THROWS_WITH(io::SafetensorsFile(dir / "missing.safetensors"),
                    Catch::Contains("no such file"));
  CHECK_THROWS_WITH(io::SafetensorsFile(dir), Catch::Contains("is a directory"));
  fs::remove_all(dir);
}

TEST_CASE("A failed save leaves the previous checkpoint intact", "[checkpoint][atomic]") {
  const auto dir = temp_dir();
  models::InitialDenoiser<> a{Seed{1}};
  io::save_weights(a, dir / "w.safetensors");
  const auto size = fs::file_size(dir / "w.safetensors");
  float x = 0;
  // A tensor whose byte count is wrong makes the writer throw before anything is renamed.
  CHECK_THROWS(io::write_safetensors(dir / "w.safetensors", {{"x", "F32", {2}, &x, 4}}));
  CHECK(fs::file_size(dir / "w.safetensors") == size);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir))
    ++files;
  CHECK(files == 1);  // no temporary left behind
  CHECK_THROWS_WITH(io::save_weights(a, dir / "no_such_dir" / "w.safetensors"),
                    Catch::Contains("does not exist"));
  fs::remove_all(dir);
}

TEST_CASE("A training checkpoint restores weights and optimizer state exactly",
          "[checkpoint][resume]") {
  const auto dir = temp_dir();
  using Net = models::InitialDenoiser<>;
  Batch<Shape<3, 32, 32>> x(2), t(2);
  Rng rng{3};
  for (std::size_t i = 0; i < x.size(); ++i) {
    x.data()[i] = float(rng.uniform01());
    t.data()[i] = float(rng.uniform01());
  }
  auto step = [&](Net& net, auto& opt) {
    MSELoss<Shape<3, 32, 32>> loss;
    opt.zero_grad();
    loss.forward(net.forward(x), t);
    net.backward(loss.backward());
    opt.step();
  };
  auto check_resume = [&](auto make_opt) {
    Net straight{Seed{4}}, first{Seed{4}}, resumed{Seed{99}};
    auto o1 = make_opt(straight), o2 = make_opt(first), o3 = make_opt(resumed);
    for (int i = 0; i < 4; ++i)
      step(straight, o1);
    for (int i = 0; i < 2; ++i)
      step(first, o2);
    io::save_training_state(dir / "state.safetensors", first, o2,
                            {.epoch = 3,
                             .batches_done = 7,
                             .rng_state = 12345,
                             .values = {{"loss_sum", io::exact_double(0.1)}}});
    const auto progress = io::load_training_state(dir / "state.safetensors", resumed, o3);
    CHECK(progress.epoch == 3);
    CHECK(progress.batches_done == 7);
    CHECK(progress.rng_state == 12345);
    CHECK(io::parse_exact_double(progress.values.at("loss_sum")) == 0.1);
    CHECK(o3.step_count() == 2);
    for (int i = 0; i < 2; ++i)
      step(resumed, o3);
    const auto pa = straight.parameters(), pb = resumed.parameters();
    for (std::size_t k = 0; k < pa.size(); ++k)
      CHECK(std::memcmp(pa[k].value, pb[k].value, pa[k].size * sizeof(float)) == 0);
  };
  check_resume([](Net& n) { return Adam<float>(n.parameters(), {.lr = 1e-3}); });
  check_resume([](Net& n) { return SGD<float>(n.parameters(), {.lr = 0.05, .momentum = 0.9}); });

  // A weights-only file or another optimizer's state is refused.
  Net net{Seed{1}};
  Adam<float> adam(net.parameters());
  SGD<float> sgd(net.parameters(), {.lr = 0.1, .momentum = 0.9});
  io::save_weights(net, dir / "weights.safetensors");
  CHECK_THROWS_WITH(io::load_training_state(dir / "weights.safetensors", net, adam),
                    Catch::Contains("not a training checkpoint"));
  io::save_training_state(dir / "sgd.safetensors", net, sgd, {});
  CHECK_THROWS_WITH(io::load_training_state(dir / "sgd.safetensors", net, adam),
                    Catch::Contains("saved with optimizer sgd"));
  // The training checkpoint also loads as plain weights (extra optimizer tensors are refused
  // by the strict loader, so use the file's parameters only through load_training_state).
  fs::remove_all(dir);
}
