#pragma once
/// \file
/// A one-line terminal progress bar for training: batches done, images/s, loss, ETA. It draws
/// only when the stream is a terminal, so logs and pipes stay clean.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace n2n {

class ProgressBar {
 public:
  /// `enabled` defaults to "stdout is a terminal".
  explicit ProgressBar(std::size_t total_batches, std::string label = "",
                       bool enabled = ::isatty(STDOUT_FILENO) != 0)
      : total_(total_batches),
        label_(std::move(label)),
        enabled_(enabled),
        start_(clock::now()),
        last_draw_(start_) {}

  /// Records progress; redraws at most ~10 times a second.
  void update(std::size_t batches_done, std::size_t images_done, double loss) {
    if (!enabled_) return;
    const auto now = clock::now();
    if (batches_done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? double(images_done) / elapsed : 0.0;
    const double frac = total_ ? double(batches_done) / double(total_) : 1.0;
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0.0;
    constexpr int width = 28;
    const int filled = int(frac * width);
    std::string bar(std::size_t(filled), '=');
    if (filled < width) bar += '>';
    bar.resize(width, ' ');
    std::printf("\r%s[%s] %zu/%zu  %.0f img/s  loss %.5f  ETA %s ", label_.c_str(), bar.c_str(),
                batches_done, total_, rate, loss, format_duration(eta).c_str());
    std::fflush(stdout);
    drawn_ = true;
  }

  /// Ends the line (if anything was drawn).
  void finish() {
    if (enabled_ && drawn_) {
      std::printf("\n");
      std::fflush(stdout);
    }
    drawn_ = false;
  }

  static std::string format_duration(double seconds) {
    const long s = long(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
      std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else
      std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    return buf;
  }

 private:
  using clock = std::chrono::steady_clock;
  std::size_t total_;
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  clock::time_point start_, last_draw_;
};

}  // namespace n2n
