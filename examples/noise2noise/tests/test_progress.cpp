// The progress reporter (progress.hpp): without a terminal, one plain line every 10 % of the
// work or every minute, whichever comes first; on a terminal, a bar redrawn in place.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "progress.hpp"

using n2n::ProgressBar;
using n2n::ProgressStyle;
using namespace std::chrono_literals;

namespace {

/// What `run` printed through the FILE* it is given.
template <class Run>
std::string printed(Run run) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  run(f);
  std::fflush(f);
  std::rewind(f);
  std::string out;
  for (int c; (c = std::fgetc(f)) != EOF;)
    out += char(c);
  std::fclose(f);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("progress lines: one every 10 % of the work when it is fast") {
  const auto t0 = ProgressBar::clock::now();
  const auto out = printed([&](std::FILE* f) {
    ProgressBar bar(250, "epoch 1/1 ", {}, ProgressStyle::lines, f, t0);
    for (std::size_t b = 1; b <= 250; ++b)
      bar.update_at(t0 + b * 100ms, b, b * 8, 0.5 / double(b));
    bar.finish();
  });
  const auto lines = lines_of(out);
  REQUIRE(lines.size() == 10);
  CHECK(lines[0] == "epoch 1/1 25/250 batches (10 %)  80 img/s  loss 0.02000  ETA 0m23s");
  CHECK(lines[9] == "epoch 1/1 250/250 batches (100 %)  80 img/s  loss 0.00200  ETA 0m00s");
  CHECK(out.find('\r') == std::string::npos);
}

TEST_CASE("progress lines: one every minute when 10 % takes longer") {
  const auto t0 = ProgressBar::clock::now();
  const auto out = printed([&](std::FILE* f) {
    ProgressBar bar(1000, "", {"tiles", "tiles/s"}, ProgressStyle::lines, f, t0);
    for (std::size_t b = 1; b <= 50; ++b)  // 1 tile every 10 s: 5 % after 500 s
      bar.update_at(t0 + b * 10s, b, b, std::nan(""));
  });
  const auto lines = lines_of(out);
  REQUIRE(lines.size() == 8);  // at 60, 120, ..., 480 s
  CHECK(lines[0] == "6/1000 tiles (1 %)  0 tiles/s  ETA 2h45m");
  CHECK(lines[0].find("loss") == std::string::npos);
}

TEST_CASE("progress bar: redrawn in place on a terminal, ended by finish()") {
  const auto t0 = ProgressBar::clock::now();
  const auto out = printed([&](std::FILE* f) {
    ProgressBar bar(4, "", {}, ProgressStyle::bar, f, t0);
    for (std::size_t b = 1; b <= 4; ++b)
      bar.update_at(t0 + b * 1s, b, b * 10, 0.25);
    bar.finish();
  });
  CHECK(out.find("\r[=======>                    ] 1/4  10 img/s  loss 0.25000  ETA 0m03s ") == 0);
  CHECK(out.back() == '\n');
  CHECK(lines_of(out).size() == 1);
}

TEST_CASE("progress: nothing in style none, and automatic is lines for a file") {
  const auto out = printed([&](std::FILE* f) {
    ProgressBar bar(3, "", {}, ProgressStyle::none, f);
    for (std::size_t b = 1; b <= 3; ++b)
      bar.update(b, b, 1.0);
    bar.finish();
    CHECK(ProgressBar(3, "", {}, ProgressStyle::automatic, f).style() == ProgressStyle::lines);
  });
  CHECK(out.empty());
}

TEST_CASE("progress: a validation between two batches is left out of the rate") {
  const auto t0 = ProgressBar::clock::now();
  const auto out = printed([&](std::FILE* f) {
    ProgressBar bar(10, "", {}, ProgressStyle::lines, f, t0);
    bar.update_at(t0 + 1s, 1, 10, std::nan(""));
    bar.exclude(3s);  // a validation from 1 s to 4 s
    bar.update_at(t0 + 5s, 2, 20, std::nan(""));
  });
  const auto lines = lines_of(out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] == "2/10 batches (20 %)  10 img/s  ETA 0m08s");
}
