#pragma once
// Command-line options of the Noise2Noise trainer: parsed by hand (no dependency), every
// mistake reported in one line naming the option.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace n2n {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TrainOptions {
  std::string model = "initial";
  int epochs = 3;
  std::size_t batch_size = 50;
  std::string optimizer = "adam";
  double lr = 1e-3;
  double momentum = 0.9;
  double fraction = 1.0;
  int threads = 0;  // 0: all cores
  std::uint64_t seed = 0;
  std::filesystem::path data_dir = "data";
  std::filesystem::path out_dir = "out";
  std::size_t checkpoint_every = 0;  // batches; 0: only at the end of each epoch
  bool resume = false;
  bool help = false;
};

inline const char* train_usage() {
  return R"(Usage: ctnn_noise2noise [options]

Trains a Noise2Noise denoiser on pairs of noisy 32x32 RGB images (the target is a second noisy
copy, never a clean image), validates on (noisy, clean) pairs, and reports PSNR beside the
noisy input, classical filters and the course's reference lines.

Data (--data DIR) holds uint8 N x 3 x 32 x 32 .npy files: train_input.npy, train_target.npy
(the two noisy copies) and val_input.npy, val_target.npy (noisy, clean). Build them from photos
with ctnn_build_dataset, or convert the course's .pkl files with tools/data/ee559_to_npy.py.

Options:
  --model NAME        initial  (course's first model: 4 conv layers, 32 channels; default)
                      final    (course's final model: 100 channels + skip concatenation)
                      upsample (stride-2 convs, then nearest upsampling + conv)
  --epochs N          passes over the training pairs (default 3)
  --batch-size N      images per step (default 50)
  --optimizer NAME    adam (default) or sgd
  --lr X              learning rate (default 1e-3)
  --momentum X        SGD momentum (default 0.9; ignored by adam)
  --fraction X        use the first X (0 < X <= 1) of the training pairs (default 1)
  --threads N         worker threads for the kernels (default: all cores)
  --seed N            seed for initialisation and shuffling (default 0)
  --data DIR          data directory (default: data)
  --out DIR           output directory, created if needed (default: out)
  --checkpoint-every N
                      also save the resumable state every N batches (default: only at the
                      end of each epoch)
  --resume            continue from DIR/train_state.safetensors if it exists (same options
                      needed); the result is bit for bit that of an uninterrupted run
  --help              this text

Outputs in --out: model.safetensors (weights, PyTorch state_dict names), train_state.safetensors
(weights + optimizer state + position, for --resume), log.csv (loss and PSNR per epoch),
samples.png (noisy | denoised | clean), curves.svg (loss and PSNR per epoch).
)";
}

namespace detail {
inline double parse_number(const std::string& opt, const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(x))
    throw UsageError(opt + ": expected a number, got '" + v + "'");
  return x;
}
inline long long parse_integer(const std::string& opt, const std::string& v, long long min) {
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') throw UsageError(opt + ": expected an integer, got '" + v + "'");
  if (x < min) throw UsageError(opt + ": must be at least " + std::to_string(min) + ", got " + v);
  return x;
}
}  // namespace detail

inline TrainOptions parse_train_options(const std::vector<std::string>& args) {
  TrainOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      o.help = true;
      continue;
    }
    if (a == "--resume") {
      o.resume = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + a + "' (see --help)");
    if (i + 1 >= args.size()) throw UsageError(a + ": missing value (see --help)");
    const std::string& v = args[++i];
    using detail::parse_integer, detail::parse_number;
    if (a == "--model") {
      if (v != "initial" && v != "final" && v != "upsample")
        throw UsageError("--model: unknown model '" + v + "' (initial, final or upsample)");
      o.model = v;
    } else if (a == "--epochs") {
      o.epochs = int(parse_integer(a, v, 1));
    } else if (a == "--batch-size") {
      o.batch_size = std::size_t(parse_integer(a, v, 1));
    } else if (a == "--optimizer") {
      if (v != "adam" && v != "sgd")
        throw UsageError("--optimizer: '" + v + "' is not adam or sgd");
      o.optimizer = v;
    } else if (a == "--lr") {
      o.lr = parse_number(a, v);
      if (o.lr <= 0) throw UsageError("--lr: must be positive, got " + v);
    } else if (a == "--momentum") {
      o.momentum = parse_number(a, v);
      if (o.momentum < 0 || o.momentum >= 1)
        throw UsageError("--momentum: must be in [0, 1), got " + v);
    } else if (a == "--fraction") {
      o.fraction = parse_number(a, v);
      if (o.fraction <= 0 || o.fraction > 1)
        throw UsageError("--fraction: must be in (0, 1], got " + v);
    } else if (a == "--threads") {
      o.threads = int(parse_integer(a, v, 0));
    } else if (a == "--seed") {
      o.seed = std::uint64_t(parse_integer(a, v, 0));
    } else if (a == "--data") {
      o.data_dir = v;
    } else if (a == "--out") {
      o.out_dir = v;
    } else if (a == "--checkpoint-every") {
      o.checkpoint_every = std::size_t(parse_integer(a, v, 0));
    } else {
      throw UsageError("unknown option '" + a + "' (see --help)");
    }
  }
  return o;
}

}  // namespace n2n
