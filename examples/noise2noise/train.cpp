// ctnn_noise2noise: trains the EE-559 course's Noise2Noise denoisers with ctnn.
//
// The network learns to denoise from pairs of independently noisy copies of the same image
// only (Lehtinen et al., Noise2Noise, 2018): with an MSE loss, the best prediction of a noisy
// target is its mean, the clean image. Validation uses (noisy, clean) pairs.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "conv_precision.hpp"
#include "ctnn/ctnn.hpp"
#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/image.hpp"
#include "ctnn/io/npy.hpp"
#include "ctnn/io/training_state.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/metrics/psnr.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/noise2noise.hpp"
#include "ctnn/models/unet.hpp"
#include "filters.hpp"
#include "options.hpp"
#include "pair_batches.hpp"
#include "plot.hpp"
#include "progress.hpp"
#include "ranks.hpp"
#include "report.hpp"

namespace fs = std::filesystem;
using namespace ctnn;
using Image = Shape<3, 32, 32>;
using Images = xt::xtensor<std::uint8_t, 4>;

namespace n2n {

/// The course's reference lines, quoted from the course (measured on the course's data).
struct QuotedReference {
  const char* label;
  double psnr;
};
constexpr QuotedReference course_references[] = {
    {"course: very simple baseline", 23.0},
    {"course: 8-conv-layer net", 24.0},
    {"course: final model", 25.3},
};

struct Data {
  Images train_input, train_target, val_input, val_target;
};

Data load_data(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw io::FileError(dir,
                        "data directory does not exist (build it with ctnn_build_dataset, "
                        "or convert the course's data with tools/data/ee559_to_npy.py)");
  Data d{io::load_image_batch(dir / "train_input.npy", 3, 32, 32),
         io::load_image_batch(dir / "train_target.npy", 3, 32, 32),
         io::load_image_batch(dir / "val_input.npy", 3, 32, 32),
         io::load_image_batch(dir / "val_target.npy", 3, 32, 32)};
  auto same_count = [&](const Images& a, const Images& b, const char* fa, const char* fb) {
    if (a.shape()[0] != b.shape()[0])
      throw io::FileError(dir / fb, std::to_string(b.shape()[0]) + " images, but " + fa + " has " +
                                        std::to_string(a.shape()[0]));
  };
  same_count(d.train_input, d.train_target, "train_input.npy", "train_target.npy");
  same_count(d.val_input, d.val_target, "val_input.npy", "val_target.npy");
  if (d.train_input.shape()[0] == 0) throw io::FileError(dir / "train_input.npy", "no images");
  if (d.val_input.shape()[0] == 0) throw io::FileError(dir / "val_input.npy", "no images");
  return d;
}

/// PSNR of the noisy validation inputs themselves against the clean images.
Psnr psnr_of_noisy(const Data& d) {
  PsnrAccumulator acc;
  const std::size_t n = d.val_input.shape()[0];
  std::vector<float> a(Image::size), b(Image::size);
  for (std::size_t i = 0; i < n; ++i) {
    bytes_to_unit(d.val_input.data() + i * Image::size, a.data(), Image::size);
    bytes_to_unit(d.val_target.data() + i * Image::size, b.data(), Image::size);
    acc.add(a.data(), b.data(), 1, Image::size);
  }
  return acc.result();
}

struct FilterResult {
  std::string name;
  Psnr psnr;
};

/// Every classical filter on the validation set; the best (pooled PSNR) first.
std::vector<FilterResult> measure_filters(const Data& d) {
  std::vector<FilterResult> out;
  const std::size_t n = d.val_input.shape()[0];
  std::vector<float> in(Image::size), filtered(Image::size), clean(Image::size);
  for (const auto& f : classical_filters()) {
    PsnrAccumulator acc;
    for (std::size_t i = 0; i < n; ++i) {
      bytes_to_unit(d.val_input.data() + i * Image::size, in.data(), Image::size);
      bytes_to_unit(d.val_target.data() + i * Image::size, clean.data(), Image::size);
      for (int c = 0; c < 3; ++c)
        f.apply(in.data() + c * 1024, filtered.data() + c * 1024, 32, 32);
      acc.add(filtered.data(), clean.data(), 1, Image::size);
    }
    out.push_back({f.name, acc.result()});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.psnr.pooled > b.psnr.pooled; });
  return out;
}

/// Evaluation mode (BatchNorm2d's running statistics) for its lifetime, then the mode before.
template <class Net>
class EvalMode {
 public:
  explicit EvalMode(Net& net) : net_(net), was_training_(net.is_training()) { net_.eval(); }
  ~EvalMode() { net_.set_training(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  Net& net_;
  bool was_training_;
};

/// The network's PSNR on the validation set, in evaluation mode; optionally keeps the first
/// `keep_count` outputs (those in this rank's share). Each rank evaluates its share of the
/// images; the sums are added up over the ranks.
template <class Net>
Psnr validate(Net& net, const Data& d, std::size_t batch, const Ranks& ranks,
              std::vector<float>* keep = nullptr, std::size_t keep_count = 0) {
  const EvalMode<Net> eval_mode(net);
  PsnrAccumulator acc;
  const auto share = ranks.shard(d.val_input.shape()[0]);
  const std::size_t n = share.first + share.count;
  Batch<Image> x, clean;
  for (std::size_t first = share.first; first < n; first += batch) {
    const std::size_t m = std::min(batch, n - first);
    x.resize(m);
    clean.resize(m);
    bytes_to_unit(d.val_input.data() + first * Image::size, x.data(), m * Image::size);
    bytes_to_unit(d.val_target.data() + first * Image::size, clean.data(), m * Image::size);
    const auto& y = net.forward(x);
    acc.add(y.data(), clean.data(), m, Image::size);
    if (keep && first < keep_count) {
      const std::size_t k = std::min(m, keep_count - first);
      keep->insert(keep->end(), y.data(), y.data() + k * Image::size);
    }
  }
  if (ranks.size() > 1) {
    auto totals = acc.totals();
    ranks.sum(totals.data(), totals.size());
    acc = PsnrAccumulator{};
    acc.add_totals(totals);
  }
  return acc.result();
}

/// A PNG grid, one row per sample: noisy | denoised | clean, each 32x32 image scaled 4x.
void write_sample_grid(const fs::path& path, const Data& d, const std::vector<float>& denoised,
                       std::size_t rows) {
  constexpr int scale = 4, tile = 32 * scale, gap = 4;
  const int width = 3 * tile + 4 * gap, height = int(rows) * (tile + gap) + gap;
  std::vector<std::uint8_t> rgb(std::size_t(width) * std::size_t(height) * 3, 255);
  auto put = [&](int r, int col, auto value_at) {
    const int x0 = gap + col * (tile + gap), y0 = gap + r * (tile + gap);
    for (int y = 0; y < tile; ++y)
      for (int x = 0; x < tile; ++x)
        for (int c = 0; c < 3; ++c)
          rgb[(std::size_t(y0 + y) * std::size_t(width) + std::size_t(x0 + x)) * 3 +
              std::size_t(c)] = value_at(c, y / scale, x / scale);
  };
  for (std::size_t r = 0; r < rows; ++r) {
    const auto* noisy = d.val_input.data() + r * Image::size;
    const auto* clean = d.val_target.data() + r * Image::size;
    const float* den = denoised.data() + r * Image::size;
    put(int(r), 0, [&](int c, int y, int x) { return noisy[c * 1024 + y * 32 + x]; });
    put(int(r), 1, [&](int c, int y, int x) {
      return std::uint8_t(std::lround(std::clamp(den[c * 1024 + y * 32 + x], 0.0f, 1.0f) * 255.0f));
    });
    put(int(r), 2, [&](int c, int y, int x) { return clean[c * 1024 + y * 32 + x]; });
  }
  io::write_png(path, width, height, 3, rgb.data());
}

/// What the curves show: the mean training loss of every `loss_every` batches and the
/// validation PSNR every `val_every` batches and at the end of each epoch, x in epochs.
struct Curves {
  std::vector<double> loss_x, loss_y, val_x, val_y;
  std::size_t loss_every = 1, val_every = 1;
};

/// The points as text for the resumable state: "x:y x:y ...", exact.
std::string points_text(const std::vector<double>& xs, const std::vector<double>& ys) {
  std::string out;
  for (std::size_t i = 0; i < xs.size(); ++i)
    out += (i ? " " : "") + io::exact_double(xs[i]) + ":" + io::exact_double(ys[i]);
  return out;
}

/// The points of points_text(); throws io::FileError (naming `path`) on anything else.
void parse_points(const std::string& text, const fs::path& path, std::vector<double>& xs,
                  std::vector<double>& ys) {
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    const std::size_t colon = item.find(':');
    if (colon == std::string::npos) throw io::FileError(path, "bad curve point '" + item + "'");
    xs.push_back(io::parse_exact_double(item.substr(0, colon)));
    ys.push_back(io::parse_exact_double(item.substr(colon + 1)));
    pos = end + 1;
  }
}

/// The two charts of curves.svg and the report: the loss (raw and smoothed; a log axis when
/// it spans more than 5x), and the validation PSNR beside `references`.
std::vector<Chart> training_charts(const Curves& c, const std::vector<ReferenceLine>& references) {
  const std::string every = c.loss_every == 1 ? "training loss of each batch"
                                              : "training loss, mean of every " +
                                                    std::to_string(c.loss_every) + " batches";
  Chart loss{"Training loss (MSE against the noisy targets)",
             "epoch",
             "loss",
             {{every, c.loss_x, c.loss_y, "#1f77b4", 1.2, false, 0.45},
              {"smoothed (exponential, weight 0.9)", c.loss_x, smoothed(c.loss_y, 0.9), "#0b3d91",
               2.2, false, 1}},
             {},
             AxisScale::automatic,
             true};
  Chart psnr{"Validation PSNR (pooled)",
             "epoch",
             "PSNR (dB)",
             {{"validation PSNR, every " + std::to_string(c.val_every) +
                   " batches and at each epoch's end",
               c.val_x, c.val_y, "#1f77b4", 2, true, 1}},
             references,
             AxisScale::linear,
             false};
  return {loss, psnr};
}

/// Trains on this process, or as one rank of a data-parallel MPI job: every rank reads the
/// data, follows the same shuffled order and trains on its shard of each global batch of
/// --batch-size pairs (ranks.hpp); rank 0 alone reads the resumable state, writes every file and
/// prints.
template <class Net>
int train(const TrainOptions& o, Init init, const Ranks& ranks) {
  const auto t_start = std::chrono::steady_clock::now();
  Data data = load_data(o.data_dir);
  if (ranks.root()) {
    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    if (ec || !fs::is_directory(o.out_dir))
      throw io::FileError(o.out_dir, "cannot create the output directory: " +
                                         (ec ? ec.message() : std::string("it is a file")));
  }

  const std::size_t total_pairs = data.train_input.shape()[0];
  const std::size_t used = std::max<std::size_t>(1, std::size_t(double(total_pairs) * o.fraction));
  PairBatches<Image> pairs(std::move(data.train_input), std::move(data.train_target), used);
  // The header lines, printed and kept for the report.
  std::vector<std::pair<std::string, std::string>> configuration;
  auto say = [&](const std::string& name, const std::string& value) {
    std::printf("%-10s %s\n", name.c_str(), value.c_str());
    configuration.emplace_back(name, value);
  };
  std::printf("ctnn %s Noise2Noise trainer\n", ctnn::version_string);
  say("model", o.model + ": " + Net::name());
  say("data", o.data_dir.string() + ": " + std::to_string(total_pairs) + " training pairs (using " +
                  std::to_string(pairs.size()) + "), " + std::to_string(data.val_input.shape()[0]) +
                  " validation pairs");
  const auto g = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  const std::string schedule =
      (o.lr_schedule == "rampdown"
           ? "ramped down over the last " + g(o.rampdown_fraction * 100) + "% of the steps"
           : "constant") +
      (o.warmup_fraction > 0
           ? ", warmed up over the first " + g(o.warmup_fraction * 100) + "% of the steps"
           : "");
  const std::string moments = o.optimizer == "adam" ? ", betas (0.9, " + g(o.beta2) + "), eps 1e-8"
                                                    : ", momentum " + g(o.momentum);
  say("recipe",
      o.optimizer + " lr " + g(o.lr) + " (" + schedule + ")" + moments + ", batch " +
          std::to_string(o.batch_size) + ", " + std::to_string(o.epochs) + " epoch(s), MSE loss, " +
          (init == Init::kaiming_normal ? "kaiming-normal" : "pytorch-default") + " init, seed " +
          std::to_string(o.seed) + ", " + std::to_string(num_threads()) + " thread(s)");
  // What the conv layers multiply in (--precision; conv_precision.hpp).
  const std::string precision =
      precision_name(conv_runs_bf16() ? Precision::bf16 : Precision::fp32);
  if (precision == "bf16")
    say("precision",
        "bf16 conv operands, fp32 accumulation (direct convolution); weights, optimizer state "
        "and activations fp32");
  else if (o.precision == "bf16")
    say("precision", "fp32 (--precision bf16 asked for, but this CPU cannot run it)");
  else
    say("precision", "fp32");
  if (ranks.size() > 1)
    say("ranks", std::to_string(ranks.size()) + " MPI ranks x " + std::to_string(num_threads()) +
                     " thread(s) each (" + std::to_string(ranks.local_size()) +
                     " on this machine): each trains on its share of every batch of " +
                     std::to_string(o.batch_size));

  // The baselines, drawn as reference lines from the first curves on (rank 0 writes them).
  const Psnr noisy = ranks.root() ? psnr_of_noisy(data) : Psnr{};
  const auto filters = ranks.root() ? measure_filters(data) : std::vector<FilterResult>{};
  std::vector<ReferenceLine> references;
  if (ranks.root()) {
    references = {{"noisy input, measured", noisy.pooled, "#d62728"},
                  {"best filter: " + filters.front().name + ", measured",
                   filters.front().psnr.pooled, "#ff7f0e"}};
    const char* colors[] = {"#2ca02c", "#9467bd", "#8c564b"};
    for (std::size_t i = 0; i < std::size(course_references); ++i)
      references.push_back({std::string(course_references[i].label) + ", quoted (course data)",
                            course_references[i].psnr, colors[i % 3]});
  }

  Net net{Seed{o.seed}, init};
  if (!o.save_initial.empty() && ranks.root())
    io::save_weights(net, o.save_initial, {{"epoch", "0"}});
  // One Rng stream for initialisation (inside Net), another for shuffling.
  Rng shuffle_rng{o.seed ^ 0x5eedf00dULL};
  const fs::path state_path = o.out_dir / "train_state.safetensors";
  // Resuming must continue the same run: everything that shapes it is recorded and compared.
  // A rampdown's learning rate depends on the step and the total steps, so --epochs is part
  // of the recipe then; the step itself follows from the position the state records.
  const std::string recipe =
      o.model + " " + o.optimizer + " lr=" + io::exact_double(o.lr) +
      " momentum=" + io::exact_double(o.momentum) + " beta2=" + io::exact_double(o.beta2) +
      " batch=" + std::to_string(o.batch_size) + " pairs=" + std::to_string(pairs.size()) +
      " seed=" + std::to_string(o.seed) +
      (o.lr_schedule == "rampdown"
           ? " lr_schedule=rampdown:" + io::exact_double(o.rampdown_fraction) +
                 " epochs=" + std::to_string(o.epochs)
           : "") +
      (o.warmup_fraction > 0 ? " warmup=" + io::exact_double(o.warmup_fraction) +
                                   " epochs=" + std::to_string(o.epochs)
                             : "");
  // The precisions the weights were trained in, recorded with them: this run's, after those of
  // the run it resumes if that one trained in another ("fp32+bf16"). Not part of the recipe: a
  // run may resume on a machine without AVX512_BF16.
  std::string precisions = precision;
  std::string history;  // the CSV rows so far, rewritten whole (atomically) every epoch
  const std::size_t nb = pairs.batches(o.batch_size);
  Curves curves;
  curves.loss_every = loss_interval(o, nb);
  curves.val_every = val_interval(o, nb);
  {
    // The loss points grow during training: their room is made now, not in the loop.
    const std::size_t loss_points = std::size_t(o.epochs) * (nb / curves.loss_every + 1);
    const std::size_t val_points = std::size_t(o.epochs) * (nb / curves.val_every + 1);
    curves.loss_x.reserve(loss_points);
    curves.loss_y.reserve(loss_points);
    curves.val_x.reserve(val_points);
    curves.val_y.reserve(val_points);
  }
  auto write_curves = [&] {
    if (ranks.root())
      write_charts_svg(o.out_dir / "curves.svg", training_charts(curves, references));
  };
  // Every rank must run the same recipe on the same number of pairs (the shards assume it).
  ranks.check_same(recipe, "recipe");

  auto run = [&](auto& opt) {
    MSELoss<Image> loss;
    Batch<Image> x, t;
    int first_epoch = 1;
    std::size_t skip_batches = 0;
    double loss_sum = 0;
    std::size_t images = 0;
    // The loss curve's current point: the sum and count of the losses since the last point.
    double block_sum = 0;
    std::size_t block_count = 0;
    // Rank 0 reads the resumable state; the others receive the weights, the optimizer's state
    // and the position, so a run resumes on any number of ranks.
    std::uint64_t position[4] = {0, 1, 0, shuffle_rng.state()};  // resumed, epoch, batch, rng
    if (ranks.root() && o.resume && fs::exists(state_path)) {
      const auto progress = io::load_training_state(state_path, net, opt);
      auto value = [&](const std::string& key) {
        const auto it = progress.values.find(key);
        if (it == progress.values.end())
          throw io::FileError(state_path, "not written by this trainer: no '" + key + "'");
        return it->second;
      };
      if (value("recipe") != recipe)
        throw io::FileError(state_path, "was written by another run (" + value("recipe") +
                                            "); this run is " + recipe);
      shuffle_rng.set_state(progress.rng_state);
      first_epoch = progress.epoch;
      skip_batches = progress.batches_done;
      loss_sum = io::parse_exact_double(value("loss_sum"));
      images = std::size_t(std::stoull(value("images")));
      history = value("history");
      if (progress.values.count("curve_loss") != 0) {
        parse_points(value("curve_loss"), state_path, curves.loss_x, curves.loss_y);
        parse_points(value("curve_val"), state_path, curves.val_x, curves.val_y);
        const std::string block = value("curve_block");
        const std::size_t space = block.find(' ');
        block_sum = io::parse_exact_double(block.substr(0, space));
        block_count = std::size_t(std::stoull(block.substr(space + 1)));
      } else {
        // A state written before the curves had points within epochs: one point per epoch.
        for (std::size_t pos = 0; pos < history.size();) {
          const std::size_t eol = history.find('\n', pos);
          double e, l, pp;
          if (std::sscanf(history.c_str() + pos, "%lf,%lf,%lf", &e, &l, &pp) == 3) {
            curves.loss_x.push_back(e);
            curves.loss_y.push_back(l);
            curves.val_x.push_back(e);
            curves.val_y.push_back(pp);
          }
          pos = eol == std::string::npos ? history.size() : eol + 1;
        }
      }
      // States written before --precision existed were trained in fp32.
      const auto before = progress.values.find("conv_precision");
      const std::string earlier = before == progress.values.end() ? "fp32" : before->second;
      const std::string last = earlier.substr(earlier.rfind('+') + 1);
      precisions = last == precision ? earlier : earlier + "+" + precision;
      const std::string change =
          last == precision ? ""
                            : " (trained in " + last + " so far, continuing in " + precision + ")";
      say("resumed", "from " + state_path.string() + ": epoch " + std::to_string(first_epoch) +
                         ", " + std::to_string(skip_batches) + " batches done" + change);
      position[0] = 1;
      position[1] = std::uint64_t(first_epoch);
      position[2] = skip_batches;
      position[3] = shuffle_rng.state();
    } else if (o.resume && ranks.root()) {
      say("resume", "no " + state_path.string() + " yet: starting from scratch");
    }
    Replicas<Net> replicas(ranks, net);
    if (ranks.size() > 1) {
      ranks.broadcast(position, 4);
      first_epoch = int(position[1]);
      skip_batches = std::size_t(position[2]);
      shuffle_rng.set_state(position[3]);
      replicas.broadcast_from_root(opt);
    }
    auto save_state = [&](int epoch, std::size_t batches_done, std::uint64_t rng_state) {
      if (!ranks.root()) return;
      io::save_training_state(state_path, net, opt,
                              {.epoch = epoch,
                               .batches_done = batches_done,
                               .rng_state = rng_state,
                               .values = {{"recipe", recipe},
                                          {"loss_sum", io::exact_double(loss_sum)},
                                          {"images", std::to_string(images)},
                                          {"history", history},
                                          {"conv_precision", precisions},
                                          {"curve_loss", points_text(curves.loss_x, curves.loss_y)},
                                          {"curve_val", points_text(curves.val_x, curves.val_y)},
                                          {"curve_block", io::exact_double(block_sum) + " " +
                                                              std::to_string(block_count)}}});
    };
    const std::size_t total_steps = nb * std::size_t(o.epochs);
    for (int epoch = first_epoch; epoch <= o.epochs; ++epoch) {
      const std::uint64_t epoch_rng_state = shuffle_rng.state();
      pairs.shuffle(shuffle_rng);
      // Under mpirun, lines: Open MPI gives the ranks a terminal even when the job's output goes
      // to a file, where a bar redrawn with carriage returns would pile up.
      ProgressBar bar(nb, "epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs) + " ",
                      {}, ranks.size() > 1 ? ProgressStyle::lines : ProgressStyle::automatic);
      const auto t0 = std::chrono::steady_clock::now();
      const double reducing_before = replicas.seconds_reducing();
      const std::size_t images_before = images, steps = nb - skip_batches;
      double validating = 0;  // seconds of this epoch spent in validations within it
      for (std::size_t b = skip_batches; b < nb; ++b) {
        // The global batch b, and this rank's shard of it (all of it for one process).
        const std::size_t global = pairs.batch_count(b, o.batch_size);
        const auto share = ranks.shard(global);
        pairs.fill(b, o.batch_size, share.first, share.count, x, t);
        opt.options().lr = scheduled_lr(o, std::size_t(epoch - 1) * nb + b, total_steps);
        opt.zero_grad();
        float l = share.count > 0 ? loss.forward(net.forward(x), t) : 0.0f;
        if (share.count > 0) net.backward_parameters(loss.backward());
        l = replicas.reduce(share.count, global, l);  // the global batch's loss, on every rank
        if (!std::isfinite(l)) {
          bar.finish();
          throw std::runtime_error("training diverged: the loss is " + std::to_string(l) +
                                   " at epoch " + std::to_string(epoch) + ", batch " +
                                   std::to_string(b + 1) +
                                   " (try a lower --lr); the last good checkpoint in " +
                                   o.out_dir.string() + " is kept");
        }
        opt.step();
        loss_sum += double(l) * double(global);
        images += global;
        block_sum += double(l);
        ++block_count;
        const double at = double(epoch - 1) + double(b + 1) / double(nb);  // in epochs
        if (block_count == curves.loss_every || b + 1 == nb) {
          curves.loss_x.push_back(at);  // reserved: no allocation
          curves.loss_y.push_back(block_sum / double(block_count));
          block_sum = 0;
          block_count = 0;
        }
        bar.update(b + 1, images - images_before, loss_sum / double(images));
        // A validation within the epoch, for the curves (the epoch's own is below).
        if ((b + 1) % curves.val_every == 0 && b + 1 < nb) {
          const auto v0 = std::chrono::steady_clock::now();
          const Psnr p = validate(net, data, o.batch_size, ranks);
          curves.val_x.push_back(at);
          curves.val_y.push_back(p.pooled);
          write_curves();
          bar.finish();
          std::printf("           val PSNR %.2f dB after %zu/%zu batches\n", p.pooled, b + 1, nb);
          const auto v = std::chrono::steady_clock::now() - v0;
          bar.exclude(v);
          validating += std::chrono::duration<double>(v).count();
        }
        if (o.checkpoint_every > 0 && (b + 1) % o.checkpoint_every == 0 && b + 1 < nb)
          save_state(epoch, b + 1, epoch_rng_state);
      }
      bar.finish();
      skip_batches = 0;
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - validating;
      const double rate = double(images - images_before) / secs;
      const double reducing = replicas.seconds_reducing() - reducing_before;
      const Psnr p = validate(net, data, o.batch_size, ranks);
      const double epoch_loss = loss_sum / double(images);
      curves.val_x.push_back(double(epoch));
      curves.val_y.push_back(p.pooled);
      std::printf(
          "epoch %d/%d  train loss %.6f  val PSNR %.2f dB (mean per image %.2f dB)  %.0f img/s  "
          "%.1f s\n",
          epoch, o.epochs, epoch_loss, p.pooled, p.mean_per_image, rate, secs);
      if (ranks.size() > 1)
        std::printf(
            "           gradient allreduce %.2f s (%.1f %% of the epoch, %.2f ms and %zu "
            "bytes per step)\n",
            reducing, 100.0 * reducing / secs,
            1000.0 * reducing / double(std::max<std::size_t>(1, steps)), replicas.bytes_per_step());
      std::fflush(stdout);
      char row[256];
      std::snprintf(row, sizeof row, "%d,%.8g,%.4f,%.4f,%.1f,%.2f\n", epoch, epoch_loss, p.pooled,
                    p.mean_per_image, rate, secs);
      history += row;
      loss_sum = 0;
      images = 0;
      // Weights first, then the resumable state, then the log: a kill between any two leaves
      // files that agree with a state the run can continue from.
      if (!ranks.root()) continue;
      io::save_weights(net, o.out_dir / "model.safetensors",
                       {{"epoch", std::to_string(epoch)}, {"conv_precision", precisions}});
      save_state(epoch + 1, 0, shuffle_rng.state());
      io::write_atomically(o.out_dir / "log.csv", [&](io::ByteSink& out) {
        out.write(
            "epoch,train_loss,val_psnr_pooled_db,val_psnr_mean_db,images_per_second,seconds\n");
        out.write(history);
      });
      write_curves();
    }
  };

  if (o.optimizer == "adam") {
    Adam<float> opt(net.parameters(), {.lr = o.lr, .beta1 = 0.9, .beta2 = o.beta2, .eps = 1e-8});
    run(opt);
  } else {
    SGD<float> opt(net.parameters(), {.lr = o.lr, .momentum = o.momentum});
    run(opt);
  }

  // The report.
  constexpr std::size_t grid_rows = 8;
  std::vector<float> samples;
  const Psnr model = validate(net, data, o.batch_size, ranks, &samples, grid_rows);
  if (!ranks.root()) return 0;
  Report report;
  report.title = "ctnn Noise2Noise: " + o.model + " model, " + std::to_string(o.epochs) +
                 " epoch(s) on " + o.data_dir.string();
  report.configuration = configuration;
  char caption[128];
  std::snprintf(caption, sizeof caption, "Validation PSNR on %zu (noisy, clean) pairs",
                std::size_t(data.val_input.shape()[0]));
  report.results_caption = caption;
  std::printf("\n%-50s source      pooled  mean/image\n", caption);
  auto line = [&](const std::string& label, const char* source, double pooled, double mean) {
    if (mean > 0)
      std::printf("  %-48s %-9s %6.2f dB  %6.2f dB\n", label.c_str(), source, pooled, mean);
    else
      std::printf("  %-48s %-9s %6.2f dB\n", label.c_str(), source, pooled);
    report.results.push_back({label, source, pooled, mean});
  };
  line("noisy input", "measured", noisy.pooled, noisy.mean_per_image);
  line("best classical filter: " + filters.front().name, "measured", filters.front().psnr.pooled,
       filters.front().psnr.mean_per_image);
  line("ctnn " + o.model + " model, " + std::to_string(o.epochs) + " epoch(s)" +
           (precisions == "fp32" ? "" : ", " + precisions),
       "measured", model.pooled, model.mean_per_image);
  for (const auto& r : course_references)
    line(std::string(r.label) + " (course data)", "quoted", r.psnr, 0);
  std::string others = "Other filters:";
  for (std::size_t i = 1; i < filters.size(); ++i) {
    char item[96];
    std::snprintf(item, sizeof item, " %s %.2f dB%s", filters[i].name.c_str(),
                  filters[i].psnr.pooled, i + 1 < filters.size() ? "," : "");
    others += item;
  }
  const std::string measured_note =
      "Measured lines are on this data; quoted lines are the course's, on the course's data.";
  std::printf("%s\n%s\n", measured_note.c_str(), others.c_str());
  report.results_notes = {measured_note, others,
                          "Pooled: the course's psnr, -10 log10(MSE over all pixels + 1e-8), "
                          "on [0, 1] images; mean per image: the mean of the images' PSNRs."};

  const std::size_t rows = samples.size() / Image::size;
  write_sample_grid(o.out_dir / "samples.png", data, samples, rows);
  write_charts_svg(o.out_dir / "curves.svg", training_charts(curves, references));

  report.epoch_columns = {"epoch",     "train loss", "val PSNR pooled (dB)",
                          "mean (dB)", "img/s",      "seconds"};
  for (std::size_t pos = 0; pos < history.size();) {
    std::size_t eol = history.find('\n', pos);
    if (eol == std::string::npos) eol = history.size();
    std::vector<std::string> cells;
    for (std::size_t c = pos; c <= eol;) {
      std::size_t comma = history.find(',', c);
      if (comma == std::string::npos || comma > eol) comma = eol;
      cells.push_back(history.substr(c, comma - c));
      c = comma + 1;
    }
    report.epochs.push_back(cells);
    pos = eol + 1;
  }
  report.curves_svg = charts_svg(training_charts(curves, references));
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint8_t* noisy_bytes = data.val_input.data() + r * Image::size;
    const std::uint8_t* clean_bytes = data.val_target.data() + r * Image::size;
    const float* out = samples.data() + r * Image::size;
    std::vector<float> a(Image::size), c(Image::size);
    std::vector<std::uint8_t> den(Image::size);
    bytes_to_unit(noisy_bytes, a.data(), Image::size);
    bytes_to_unit(clean_bytes, c.data(), Image::size);
    for (std::size_t i = 0; i < Image::size; ++i)
      den[i] = std::uint8_t(std::lround(std::clamp(out[i], 0.0f, 1.0f) * 255.0f));
    PsnrAccumulator pn, pd;
    pn.add(a.data(), c.data(), 1, Image::size);
    pd.add(out, c.data(), 1, Image::size);
    report.samples.push_back({tile_png(noisy_bytes), tile_png(den.data()), tile_png(clean_bytes),
                              pn.result().pooled, pd.result().pooled});
  }
  const fs::path report_path = o.out_dir / "report.html";
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  char footer[160];
  std::snprintf(footer, sizeof footer, "Written by ctnn %s's ctnn_noise2noise after %.1f s.",
                ctnn::version_string, total);
  report.footer = footer;
  write_report_html(report_path, report);
  std::printf(
      "wrote %s/{model.safetensors, log.csv, samples.png, curves.svg, report.html} in %.1f s "
      "total\nreport     %s\n",
      o.out_dir.c_str(), total, report_path.c_str());
  return 0;
}

}  // namespace n2n

/// Under an MPI launcher (mpirun -np N), the trainer is one rank of a data-parallel job when
/// built with ctnn::mpi, and refuses to run as N independent copies otherwise.
int run_trainer(const std::vector<std::string>& args, const n2n::Ranks& ranks) {
  const auto o = n2n::parse_train_options(args);
  if (o.help) {
    if (ranks.root()) std::fputs(n2n::train_usage().c_str(), stdout);
    return 0;
  }
  if (o.threads > 0)
    ctnn::set_num_threads(o.threads);
  else if (ranks.local_size() > 1)  // the ranks on this machine share its cores
    ctnn::set_num_threads(
        std::max(1, int(std::thread::hardware_concurrency()) / ranks.local_size()));
  ctnn::set_conv_algorithm(o.conv == "direct" ? ctnn::ConvAlgorithm::direct
                                              : ctnn::ConvAlgorithm::automatic);
  // bf16 where the CPU runs it; elsewhere fp32 and one line saying so, from each rank that
  // falls back (the ranks of a job may run on different machines).
  const n2n::PrecisionChoice precision = n2n::apply_precision(o.precision, "ctnn_noise2noise");
  if (!precision.note.empty()) {
    const std::string where = ranks.size() > 1 ? " (rank " + std::to_string(ranks.rank()) + " of " +
                                                     std::to_string(ranks.size()) + ")"
                                               : "";
    std::fprintf(stderr, "%s%s\n", precision.note.c_str(), where.c_str());
  }
  const Init standard = Init::pytorch_default;
  if (o.model == "initial") return n2n::train<models::InitialDenoiser<>>(o, standard, ranks);
  if (o.model == "final") return n2n::train<models::FinalDenoiser<>>(o, standard, ranks);
  if (o.model == "upsample") return n2n::train<models::UpsampleDenoiser<>>(o, standard, ranks);
  // The Noise2Noise code initialises its U-Net Kaiming-normal; DnCNN keeps PyTorch's default.
  if (o.model == "unet") return n2n::train<models::UNet<32, 32>>(o, Init::kaiming_normal, ranks);
  return n2n::train<models::DnCNN<32, 32>>(o, standard, ranks);
}

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  n2n::Ranks ranks;
  try {
#if CTNN_N2N_WITH_MPI
    std::optional<distributed::MpiSession> mpi;
    std::optional<distributed::Communicator> comm;
    if (distributed::launched_by_mpi()) {
      mpi.emplace(&argc, &argv);
      comm.emplace();
      ranks = n2n::Ranks(*comm);
      // Only rank 0 prints (the others' errors still go to stderr).
      if (!ranks.root() && !std::freopen("/dev/null", "w", stdout))
        throw std::runtime_error("cannot silence standard output on rank " +
                                 std::to_string(ranks.rank()));
    }
    try {
      return run_trainer(args, ranks);
    } catch (const n2n::UsageError& e) {
      if (ranks.root()) std::fprintf(stderr, "ctnn_noise2noise: %s\n", e.what());
      return 2;  // every rank parsed the same command line and stops here
    } catch (const std::exception& e) {
      if (ranks.size() > 1) {
        std::fprintf(stderr, "ctnn_noise2noise: error on rank %d of %d: %s\n", ranks.rank(),
                     ranks.size(), e.what());
        std::fflush(stderr);
        ranks.abort_job(1);  // the other ranks may be waiting for this one
      }
      throw;
    }
#else
    if (distributed::launched_by_mpi())
      throw std::runtime_error(
          "started by an MPI launcher, but this build has no MPI support: it would train N "
          "independent copies writing the same files. Install libopenmpi-dev and rebuild (CMake "
          "then finds MPI and links ctnn::mpi), or run it without mpirun");
    return run_trainer(args, ranks);
#endif
  } catch (const n2n::UsageError& e) {
    std::fprintf(stderr, "ctnn_noise2noise: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctnn_noise2noise: error: %s\n", e.what());
    return 1;
  }
}
