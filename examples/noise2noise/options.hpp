#pragma once
// Command-line options of the Noise2Noise programs, parsed with CLI11: the trainer's options
// (TrainOptions), and the helpers (namespace n2n::cli) ctnn_build_dataset and ctnn_denoise
// share. Every mistake on the command line is a UsageError whose message is one line naming the
// option and the problem; the programs print it and exit with code 2.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace n2n {

/// A mistake on the command line; the message names the option and ends with "(see --help)".
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace cli {

/// A decimal integer in [min, max]: no base prefix, no spaces, a '+' but no '-' allowed for
/// unsigned types. Throws std::invalid_argument saying what was expected.
template <class Int>
Int parse_integer(const std::string& text, Int min, Int max = std::numeric_limits<Int>::max()) {
  const bool plus = text.size() > 1 && text[0] == '+' && text[1] != '-';
  const char* const first = text.data() + (plus ? 1 : 0);
  const char* const last = text.data() + text.size();
  Int value{};
  const auto [stop, ec] = std::from_chars(first, last, value);
  const bool digits = stop == last && (ec == std::errc{} || ec == std::errc::result_out_of_range);
  const bool too_large = ec == std::errc::result_out_of_range ? *first != '-' : value > max;
  if (digits && too_large)
    throw std::invalid_argument("expected an integer from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", got '" + text + "'");
  if (!digits || ec != std::errc{} || value < min)
    throw std::invalid_argument("expected an integer >= " + std::to_string(min) + ", got '" + text +
                                "'");
  return value;
}

/// The numbers an option accepts: between low and high, each end open or closed.
struct Interval {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_closed = false, high_closed = false;

  bool contains(double x) const {
    return (low_closed ? x >= low : x > low) && (high_closed ? x <= high : x < high);
  }
  /// "a number > 0", "a number in [0, 1)".
  std::string describe() const {
    const auto text = [](double x) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", x);
      return std::string(buf);
    };
    if (std::isinf(high)) return std::string("a number ") + (low_closed ? ">= " : "> ") + text(low);
    return std::string("a number in ") + (low_closed ? "[" : "(") + text(low) + ", " + text(high) +
           (high_closed ? "]" : ")");
  }
};

/// A finite decimal number in `range` (std::from_chars: correctly rounded, locale-independent;
/// no spaces, no hexadecimal). Throws std::invalid_argument saying what was expected.
inline double parse_number(const std::string& text, const Interval& range) {
  const bool plus = text.size() > 1 && text[0] == '+' && text[1] != '-';
  const char* const first = text.data() + (plus ? 1 : 0);
  const char* const last = text.data() + text.size();
  double value = 0;
  const auto [stop, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || stop != last || !std::isfinite(value) || !range.contains(value))
    throw std::invalid_argument("expected " + range.describe() + ", got '" + text + "'");
  return value;
}

/// One of `choices`. Throws std::invalid_argument listing them.
inline std::string parse_choice(const std::string& text, const std::vector<std::string>& choices) {
  std::string list;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) return text;
    list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  }
  throw std::invalid_argument("expected " + list + ", got '" + text + "'");
}

/// Converters for add_value.
template <class Int>
auto integer(Int min, Int max = std::numeric_limits<Int>::max()) {
  return [=](const std::string& text) { return parse_integer<Int>(text, min, max); };
}
inline auto number(Interval range) {
  return [=](const std::string& text) { return parse_number(text, range); };
}
inline auto one_of(std::vector<std::string> choices) {
  return [choices = std::move(choices)](const std::string& text) {
    return parse_choice(text, choices);
  };
}
template <class T>
auto text() {
  return [](const std::string& value) { return T(value); };
}

/// Adds "--name VALUE" to `app`. `convert` turns the text into the value stored in `target`,
/// or throws std::invalid_argument saying what was expected; CLI11 then reports
/// "--name: <that>". Our converters rather than CLI11's: CLI11 2.1 reads integers with base
/// detection ("010" would be 8) and doubles through long double (rounding twice). Each
/// occurrence is converted as it is parsed, so mistakes are reported in command-line order
/// and a repeated option's last value wins.
template <class T, class Convert>
CLI::Option* add_value(CLI::App& app, const std::string& name, const std::string& value_name,
                       T& target, Convert convert, const std::string& help) {
  CLI::Option* opt = app.add_option_function<std::string>(
      name,
      [name, &target, convert](const std::string& value) {
        try {
          target = convert(value);
        } catch (const std::invalid_argument& e) {
          throw CLI::ValidationError(name, e.what());
        }
      },
      help);
  opt->option_text(value_name)->trigger_on_parse();
  return opt;
}

/// Adds the flag "--name" (no value: "--name=false" is a mistake) to `app`.
inline CLI::Option* add_flag(CLI::App& app, const std::string& name, bool& target,
                             const std::string& help) {
  return app.add_flag(name, target, help)->disable_flag_override();
}

/// The help laid out like a hand-written usage text: the usage line(s), the app's description,
/// "Options:" with each option's description at a fixed column (continuation lines indented
/// to it; a long option name puts its description on the next line), --help last, then the
/// app's footer.
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter(std::string usage, std::size_t column) : usage_(std::move(usage)) {
    column_width(column);
  }
  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const override {
    std::string out = usage_ + "\n";
    if (!app->get_description().empty()) out += "\n" + app->get_description() + "\n";
    out += "\nOptions:\n";
    for (const CLI::Option* opt : app->get_options())
      if (opt != app->get_help_ptr()) out += make_option(opt, false);
    if (const CLI::Option* help = app->get_help_ptr()) out += make_option(help, false);
    if (!app->get_footer().empty()) out += "\n" + app->get_footer() + "\n";
    return out;
  }
  std::string make_option_name(const CLI::Option* opt, bool) const override {
    return opt->get_name();  // the long name only: "--help", not "-h,--help"
  }

 private:
  std::string usage_;
};

/// Sets up `app` for one of the programs: help in HelpFormatter's layout with the given usage
/// line(s), description and footer ("" for none), options' descriptions at `column`.
inline void setup(CLI::App& app, std::string usage, std::string description, std::string footer,
                  std::size_t column) {
  app.description(std::move(description));
  app.footer(std::move(footer));
  app.formatter(std::make_shared<HelpFormatter>(std::move(usage), column));
  app.set_help_flag("-h,--help", "this text");
  app.allow_extras();  // unknown options and stray arguments: parse() reports them in our words
}

/// CLI11's error as a UsageError: "--epochs: expected an integer >= 1, got '0' (see --help)".
/// Two of CLI11 2.1's messages are reworded: a missing value ("--out: 1 required TEXT
/// missing") and a value given to a flag ("resume was given a disallowed flag override").
inline UsageError usage_error(const CLI::ParseError& e) {
  std::string what = e.what();
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
    const std::string flag_value = " was given a disallowed flag override";
    const auto colon = what.find(": ");
    if (what.ends_with(" missing") && colon != std::string::npos)
      what = what.substr(0, colon) + ": missing value";
    else if (what.ends_with(flag_value))
      what = (what.starts_with("-") ? "" : "--") + what.substr(0, what.size() - flag_value.size()) +
             ": takes no value";
  }
  return UsageError(what + " (see --help)");
}

/// Parses `args` (the arguments after the program's name) with `app`. Returns false when
/// --help was given (print app.help() then), true otherwise. Throws a UsageError, one line,
/// for every mistake: an unknown option, a stray argument, a missing or bad value.
inline bool parse(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  bool help = false;
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    help = true;  // after every option was read, so a mistake before or after --help wins
  } catch (const CLI::ParseError& e) {
    throw usage_error(e);
  }
  bool after_marker = false;  // everything after "--" is an argument, not an option
  for (const std::string& a : app.remaining()) {
    if (a == "--" && !after_marker) {
      after_marker = true;
    } else if (!after_marker && a.size() > 1 && a[0] == '-') {
      throw UsageError("unknown option '" + a + "' (see --help)");
    } else {
      throw UsageError("unexpected argument '" + a + "' (see --help)");
    }
  }
  return !help;
}

/// --precision's help, the trainer's and the denoise tool's.
inline constexpr const char* precision_help =
    "what the conv layers multiply in: fp32 (default) or bf16 (bf16 operands,\n"
    "fp32 accumulation, direct convolution; weights, optimizer state and\n"
    "activations stay fp32). bf16 needs a CPU with AVX512_BF16; on another,\n"
    "the program says so and runs in fp32";

}  // namespace cli

struct TrainOptions {
  std::string model = "initial";
  int epochs = 3;
  std::size_t batch_size = 50;
  std::string optimizer = "adam";
  double lr = 1e-3;
  double beta2 = 0.999;
  std::string lr_schedule = "constant";
  double rampdown_fraction = 0.3;
  double warmup_fraction = 0;  // 0: no warm-up
  double momentum = 0.9;
  double fraction = 1.0;
  int threads = 0;  // 0: all cores
  std::string conv = "auto";
  std::string precision = "fp32";  // of the conv multiplications (conv_precision.hpp)
  std::uint64_t seed = 0;
  std::filesystem::path data_dir = "data";
  std::filesystem::path out_dir = "out";
  std::size_t checkpoint_every = 0;    // batches; 0: only at the end of each epoch
  std::size_t val_every = 0;           // batches; 0: 5 times per epoch
  std::size_t loss_every = 0;          // batches; 0: about 100 points per epoch
  std::filesystem::path save_initial;  // empty: do not write the initial weights
  bool resume = false;
  bool help = false;
};

/// The batches between two validations inside an epoch of `batches` batches: --val-every, or by
/// default a fifth of the epoch (rounded up), so a one-epoch run has at least 5 points.
inline std::size_t val_interval(const TrainOptions& o, std::size_t batches) {
  return o.val_every > 0 ? o.val_every : std::max<std::size_t>(1, (batches + 4) / 5);
}

/// The batches per point of the loss curve: --loss-every, or by default about 100 per epoch.
inline std::size_t loss_interval(const TrainOptions& o, std::size_t batches) {
  return o.loss_every > 0 ? o.loss_every : std::max<std::size_t>(1, batches / 100);
}

/// The learning rate of step `step` (0-based, counted over the whole run) of `total` steps:
/// `lr` throughout for the constant schedule; for "rampdown", the NVlabs Noise2Noise code's
/// (train.py, compute_ramped_down_lrate): lr until the last `fraction` of the steps, then
/// lr * (0.5 + cos(t pi) / 2)^2 with t going from 0 towards 1 over them. A warm-up
/// (`warmup_fraction` > 0) multiplies the first `warmup_fraction` of the steps by
/// (step + 1) / warm-up steps, a linear ramp to the full rate (Goyal et al., 2017: with a
/// global batch k times larger and lr k times larger, as data-parallel runs use).
inline double scheduled_lr(const TrainOptions& o, std::size_t step, std::size_t total) {
  double warm = 1;
  if (o.warmup_fraction > 0) {
    const double warmup_steps = std::max(1.0, double(total) * o.warmup_fraction);
    warm = std::min(1.0, (double(step) + 1) / warmup_steps);
  }
  if (o.lr_schedule != "rampdown") return o.lr * warm;
  const double start = double(total) * (1 - o.rampdown_fraction);
  if (double(step) < start) return o.lr * warm;
  const double t = ((double(step) - start) / o.rampdown_fraction) / double(total);
  const double smooth = 0.5 + std::cos(t * 3.141592653589793) / 2;
  return o.lr * warm * (smooth * smooth);
}

/// The trainer's options, bound to `o`, with their help.
inline void add_train_options(CLI::App& app, TrainOptions& o) {
  cli::setup(
      app, "Usage: ctnn_noise2noise [options]",
      R"(Trains a Noise2Noise denoiser on pairs of noisy 32x32 RGB images (the target is a second noisy
copy, never a clean image), validates on (noisy, clean) pairs, and reports PSNR beside the
noisy input, classical filters and the course's reference lines.

Data (--data DIR) holds uint8 N x 3 x 32 x 32 .npy files: train_input.npy, train_target.npy
(the two noisy copies) and val_input.npy, val_target.npy (noisy, clean). Build them from photos
with ctnn_build_dataset, or convert the course's .pkl files with tools/data/ee559_to_npy.py.)",
      R"(Outputs in --out: model.safetensors (weights, PyTorch state_dict names), train_state.safetensors
(weights + optimizer state + position, for --resume), log.csv (loss and PSNR per epoch),
samples.png (noisy | denoised | clean), curves.svg (the training loss every --loss-every
batches and the validation PSNR every --val-every batches; rewritten at each validation),
report.html (one self-contained page: configuration, results, curves and captioned samples).
Progress: a bar on a terminal; otherwise a line every 10 % of an epoch or every minute.)",
      22);
  using cli::add_value, cli::integer, cli::number, cli::Interval;
  add_value(app, "--model", "NAME", o.model,
            cli::one_of({"initial", "final", "upsample", "unet", "dncnn"}),
            "initial  (course's first model: 4 conv layers, 32 channels; default)\n"
            "final    (course's final model: 100 channels + skip concatenation)\n"
            "upsample (stride-2 convs, then nearest upsampling + conv)\n"
            "unet     (the Noise2Noise paper's U-Net, Kaiming-normal init; its recipe:\n"
            "          adam, lr 3e-4, beta2 0.99, --lr-schedule rampdown, unless set)\n"
            "dncnn    (DnCNN: 17 convs, 15 BatchNorm2d, predicts the noise; adam lr 1e-3)");
  add_value(app, "--epochs", "N", o.epochs, integer(1),
            "passes over the training pairs (default 3)");
  add_value(app, "--batch-size", "N", o.batch_size, integer<std::size_t>(1),
            "images per step (default 50)");
  add_value(app, "--optimizer", "NAME", o.optimizer, cli::one_of({"adam", "sgd"}),
            "adam (default) or sgd");
  add_value(app, "--lr", "X", o.lr, number({.low = 0}),
            "learning rate (default 1e-3; 3e-4 for unet)");
  add_value(app, "--beta2", "X", o.beta2, number({.low = 0, .high = 1, .low_closed = true}),
            "Adam's beta2 (default 0.999; 0.99 for unet; ignored by sgd)");
  add_value(app, "--lr-schedule", "NAME", o.lr_schedule, cli::one_of({"constant", "rampdown"}),
            "constant (default; rampdown for unet), or rampdown: the Noise2Noise\n"
            "code's lr * (0.5 + cos(t pi) / 2)^2 over the last --rampdown-fraction\n"
            "of all steps, t from 0 to 1");
  add_value(app, "--rampdown-fraction", "X", o.rampdown_fraction,
            number({.low = 0, .high = 1, .high_closed = true}),
            "share of the steps the rampdown spans (default 0.3)");
  add_value(app, "--warmup-fraction", "X", o.warmup_fraction,
            number({.low = 0, .high = 1, .low_closed = true, .high_closed = true}),
            "ramp the learning rate up linearly over the first X of the steps\n"
            "(default 0: none; for a larger global batch with a scaled lr)");
  add_value(app, "--momentum", "X", o.momentum, number({.low = 0, .high = 1, .low_closed = true}),
            "SGD momentum (default 0.9; ignored by adam)");
  add_value(app, "--fraction", "X", o.fraction, number({.low = 0, .high = 1, .high_closed = true}),
            "use the first X (0 < X <= 1) of the training pairs (default 1)");
  add_value(app, "--threads", "N", o.threads, integer(0),
            "worker threads for the kernels (default: all cores)");
  add_value(app, "--conv", "NAME", o.conv, cli::one_of({"auto", "direct"}),
            "convolution algorithm: auto (default: Winograd where the kernels'\n"
            "throughput model expects it to be faster) or direct");
  add_value(app, "--precision", "NAME", o.precision, cli::one_of({"fp32", "bf16"}),
            cli::precision_help);
  add_value(app, "--seed", "N", o.seed, integer<std::uint64_t>(0),
            "seed for initialisation and shuffling (default 0)");
  add_value(app, "--data", "DIR", o.data_dir, cli::text<std::filesystem::path>(),
            "data directory (default: data)");
  add_value(app, "--out", "DIR", o.out_dir, cli::text<std::filesystem::path>(),
            "output directory, created if needed (default: out)");
  add_value(app, "--checkpoint-every", "N", o.checkpoint_every, integer<std::size_t>(0),
            "also save the resumable state every N batches (default: only at the\n"
            "end of each epoch)");
  add_value(app, "--val-every", "N", o.val_every, integer<std::size_t>(0),
            "also validate every N batches, for the curves (default 0: 5 times per\n"
            "epoch, at every fifth of it)");
  add_value(app, "--loss-every", "N", o.loss_every, integer<std::size_t>(0),
            "one point of the loss curve per N batches, their mean loss (default 0:\n"
            "about 100 points per epoch)");
  add_value(app, "--save-initial", "FILE", o.save_initial, cli::text<std::filesystem::path>(),
            "also write the initial weights (before any step) to FILE (safetensors)");
  cli::add_flag(app, "--resume", o.resume,
                "continue from DIR/train_state.safetensors if it exists (same options\n"
                "needed); the result is bit for bit that of an uninterrupted run");
}

/// The trainer's --help text.
inline std::string train_usage() {
  TrainOptions o;
  CLI::App app;
  add_train_options(app, o);
  return app.help();
}

/// The trainer's options from its arguments (after the program's name); `help` is set by
/// --help. Throws UsageError.
inline TrainOptions parse_train_options(const std::vector<std::string>& args) {
  TrainOptions o;
  CLI::App app;
  add_train_options(app, o);
  o.help = !cli::parse(app, args);
  // The U-Net's recipe (the Noise2Noise paper's) where the command line does not say.
  if (o.model == "unet") {
    if (app.count("--lr") == 0) o.lr = 3e-4;
    if (app.count("--beta2") == 0) o.beta2 = 0.99;
    if (app.count("--lr-schedule") == 0) o.lr_schedule = "rampdown";
  }
  return o;
}

}  // namespace n2n
