#pragma once
/// \file
/// Progress of a long loop (an epoch's batches, a photo's tiles): done/total, a rate, an
/// optional loss and the ETA. On a terminal, one line redrawn in place (a bar); elsewhere (a
/// file, a pipe: nohup, a batch job, CI, mpirun) one plain line every 10 % of the work or every
/// minute, whichever comes first, so a log shows the run is alive without filling up.

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

namespace n2n {

/// How ProgressBar reports: `automatic` is `bar` when the output is a terminal, else `lines`.
enum class ProgressStyle { automatic, bar, lines, none };

/// The names ProgressBar prints: what is counted and the unit of the rate.
struct ProgressUnits {
  const char* items = "batches";
  const char* rate = "img/s";
};

class ProgressBar {
 public:
  using clock = std::chrono::steady_clock;

  /// `out` is where it prints (stdout by default); `automatic` asks whether that is a terminal.
  explicit ProgressBar(std::size_t total, std::string label = "", ProgressUnits units = {},
                       ProgressStyle style = ProgressStyle::automatic, std::FILE* out = stdout,
                       clock::time_point start = clock::now())
      : total_(total),
        label_(std::move(label)),
        units_(units),
        style_(resolve(style, out)),
        out_(out),
        start_(start),
        last_draw_(start) {}

  ProgressStyle style() const { return style_; }

  /// Records progress: `done` of the total, `counted` items for the rate (images, tiles), and
  /// a loss (NaN: none). Draws at most ~10 times a second on a terminal; in lines style, prints
  /// a line when `done` reaches the next tenth of the total or a minute after the last line.
  /// Allocates nothing (it runs in the training loop).
  void update(std::size_t done, std::size_t counted, double loss = std::nan("")) {
    update_at(clock::now(), done, counted, loss);
  }

  /// update() at a given time (for tests).
  void update_at(clock::time_point now, std::size_t done, std::size_t counted, double loss) {
    if (style_ == ProgressStyle::none || style_ == ProgressStyle::automatic) return;
    const std::size_t tenth = total_ ? done * 10 / total_ : 10;
    if (style_ == ProgressStyle::bar) {
      if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    } else if (tenth <= last_tenth_ && now - last_draw_ < std::chrono::minutes(1)) {
      return;
    }
    last_draw_ = now;
    last_tenth_ = tenth;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? double(counted) / elapsed : 0.0;
    const double frac = total_ ? double(done) / double(total_) : 1.0;
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0.0;
    char eta_text[32], loss_text[32] = "";
    format_duration(eta, eta_text, sizeof eta_text);
    if (!std::isnan(loss)) std::snprintf(loss_text, sizeof loss_text, "  loss %.5f", loss);
    if (style_ == ProgressStyle::bar) {
      constexpr int width = 28;
      char bar[width + 1];
      const int filled = int(frac * width);
      for (int i = 0; i < width; ++i)
        bar[i] = i < filled ? '=' : i == filled ? '>' : ' ';
      bar[width] = '\0';
      std::fprintf(out_, "\r%s[%s] %zu/%zu  %.0f %s%s  ETA %s ", label_.c_str(), bar, done, total_,
                   rate, units_.rate, loss_text, eta_text);
      drawn_ = true;
    } else {
      std::fprintf(out_, "%s%zu/%zu %s (%.0f %%)  %.0f %s%s  ETA %s\n", label_.c_str(), done,
                   total_, units_.items, 100.0 * frac, rate, units_.rate, loss_text, eta_text);
    }
    std::fflush(out_);
  }

  /// Leaves `d` out of the elapsed time (a validation between two batches), so the rate is
  /// that of the work counted.
  void exclude(clock::duration d) { start_ += d; }

  /// Ends the bar's line (if anything was drawn).
  void finish() {
    if (style_ == ProgressStyle::bar && drawn_) {
      std::fputc('\n', out_);
      std::fflush(out_);
    }
    drawn_ = false;
  }

  /// "4m10s", "1h05m".
  static void format_duration(double seconds, char* buf, std::size_t size) {
    const long s = long(seconds + 0.5);
    if (s >= 3600)
      std::snprintf(buf, size, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else
      std::snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
  }
  static std::string format_duration(double seconds) {
    char buf[32];
    format_duration(seconds, buf, sizeof buf);
    return buf;
  }

 private:
  static ProgressStyle resolve(ProgressStyle style, std::FILE* out) {
    if (style != ProgressStyle::automatic) return style;
    return ::isatty(::fileno(out)) != 0 ? ProgressStyle::bar : ProgressStyle::lines;
  }

  std::size_t total_;
  std::string label_;
  ProgressUnits units_;
  ProgressStyle style_;
  std::FILE* out_;
  bool drawn_ = false;
  std::size_t last_tenth_ = 0;
  clock::time_point start_, last_draw_;
};

}  // namespace n2n
