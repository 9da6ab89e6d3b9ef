// The trainer's recipe options: each model's defaults where the command line says nothing, the
// command line's values where it does, and the learning-rate schedules (options.hpp).

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "conv_precision.hpp"
#include "options.hpp"

using n2n::parse_train_options;
using n2n::scheduled_lr;
using n2n::TrainOptions;

TEST_CASE("the U-Net gets the Noise2Noise recipe unless the command line says otherwise") {
  const TrainOptions u = parse_train_options({"--model", "unet"});
  CHECK(u.lr == 3e-4);
  CHECK(u.beta2 == 0.99);
  CHECK(u.lr_schedule == "rampdown");
  CHECK(u.rampdown_fraction == 0.3);
  const TrainOptions set = parse_train_options(
      {"--model", "unet", "--lr", "1e-3", "--beta2", "0.999", "--lr-schedule", "constant"});
  CHECK(set.lr == 1e-3);
  CHECK(set.beta2 == 0.999);
  CHECK(set.lr_schedule == "constant");
  // The order of the options does not matter.
  const TrainOptions before = parse_train_options({"--lr", "2e-4", "--model", "unet"});
  CHECK(before.lr == 2e-4);
  CHECK(before.beta2 == 0.99);
}

TEST_CASE("the other models keep the general defaults") {
  for (const char* model : {"initial", "final", "upsample", "dncnn"}) {
    INFO(model);
    const TrainOptions o = parse_train_options({"--model", model});
    CHECK(o.lr == 1e-3);
    CHECK(o.beta2 == 0.999);
    CHECK(o.lr_schedule == "constant");
  }
  const TrainOptions d = parse_train_options(
      {"--model", "dncnn", "--lr-schedule", "rampdown", "--rampdown-fraction", "0.5"});
  CHECK(d.lr_schedule == "rampdown");
  CHECK(d.rampdown_fraction == 0.5);
}

TEST_CASE("bad recipe options are usage errors naming the option") {
  auto message = [](std::vector<std::string> args) {
    try {
      parse_train_options(args);
    } catch (const n2n::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message({"--beta2", "1"}) == "--beta2: expected a number in [0, 1), got '1' (see --help)");
  CHECK(message({"--lr-schedule", "cosine"}) ==
        "--lr-schedule: expected constant or rampdown, got 'cosine' (see --help)");
  CHECK(message({"--rampdown-fraction", "0"}) ==
        "--rampdown-fraction: expected a number in (0, 1], got '0' (see --help)");
  CHECK(message({"--conv", "winograd"}) ==
        "--conv: expected auto or direct, got 'winograd' (see --help)");
  CHECK(message({"--precision", "fp16"}) ==
        "--precision: expected fp32 or bf16, got 'fp16' (see --help)");
  CHECK(message({"--precision", "BF16"}) ==
        "--precision: expected fp32 or bf16, got 'BF16' (see --help)");
  CHECK(message({"--precision"}) == "--precision: missing value (see --help)");
}

TEST_CASE("--conv picks the convolution algorithm, auto unless told") {
  CHECK(parse_train_options({}).conv == "auto");
  CHECK(parse_train_options({"--conv", "direct"}).conv == "direct");
  CHECK(parse_train_options({"--conv", "auto"}).conv == "auto");
}

TEST_CASE("--precision picks what the conv layers multiply in, fp32 unless told") {
  CHECK(parse_train_options({}).precision == "fp32");
  CHECK(parse_train_options({"--precision", "bf16"}).precision == "bf16");
  CHECK(parse_train_options({"--precision=bf16"}).precision == "bf16");
  CHECK(parse_train_options({"--precision", "bf16", "--precision", "fp32"}).precision == "fp32");
}

/// Restores the process-wide precision and the CPU's real answer after a test.
struct PrecisionReset {
  ~PrecisionReset() {
    ctnn::kernels::bf16::hide_from_kernels(false);
    ctnn::set_conv_precision(ctnn::Precision::fp32);
  }
};

TEST_CASE("--precision bf16 on a CPU without AVX512_BF16 runs fp32 and says so in one line") {
  const PrecisionReset reset;
  ctnn::kernels::bf16::hide_from_kernels(true);  // as on a Zen 3 or an older Xeon
  const n2n::PrecisionChoice c = n2n::apply_precision("bf16", "ctnn_noise2noise");
  CHECK(c.used == ctnn::Precision::fp32);
  CHECK_FALSE(ctnn::conv_runs_bf16());
  if (ctnn::kernels::bf16::compiled)
    CHECK(c.note ==
          "ctnn_noise2noise: --precision bf16: this CPU has no AVX512_BF16 instructions; running "
          "in fp32");
  else
    CHECK(c.note.starts_with("ctnn_noise2noise: --precision bf16: this build has no bf16"));
  CHECK(c.note.find('\n') == std::string::npos);
  // fp32 asked for: nothing to say.
  const n2n::PrecisionChoice f = n2n::apply_precision("fp32", "ctnn_denoise");
  CHECK(f.used == ctnn::Precision::fp32);
  CHECK(f.note.empty());
}

TEST_CASE("--precision bf16 runs bf16 where the CPU has AVX512_BF16, and fp32 turns it off") {
  const PrecisionReset reset;
  const n2n::PrecisionChoice c = n2n::apply_precision("bf16", "ctnn_denoise");
  CHECK(ctnn::conv_precision() == ctnn::Precision::bf16);
  if (ctnn::bf16_supported()) {
    CHECK(c.used == ctnn::Precision::bf16);
    CHECK(ctnn::conv_runs_bf16());
    CHECK(c.note.empty());
  } else {
    WARN("this CPU has no AVX512_BF16: only the fp32 fallback is checked");
    CHECK(c.used == ctnn::Precision::fp32);
    CHECK(c.note.starts_with("ctnn_denoise: --precision bf16: "));
  }
  CHECK(n2n::precision_name(c.used) == (ctnn::bf16_supported() ? "bf16" : "fp32"));
  const n2n::PrecisionChoice f = n2n::apply_precision("fp32", "ctnn_denoise");
  CHECK(f.used == ctnn::Precision::fp32);
  CHECK(ctnn::conv_precision() == ctnn::Precision::fp32);
  CHECK_FALSE(ctnn::conv_runs_bf16());
  CHECK(f.note.empty());
}

TEST_CASE("constant schedule: the learning rate at every step") {
  TrainOptions o;
  o.lr = 0.01;
  for (std::size_t step : {0u, 50u, 99u})
    CHECK(scheduled_lr(o, step, 100) == 0.01);
}

TEST_CASE("warm-up: a linear ramp to lr over the first fraction, then the schedule") {
  TrainOptions o;
  o.lr = 0.01;
  o.warmup_fraction = 0.1;
  // 100 steps: steps 0..9 at (step + 1) / 10 of lr, then lr.
  CHECK(scheduled_lr(o, 0, 100) == Approx(0.001).epsilon(1e-12));
  CHECK(scheduled_lr(o, 4, 100) == Approx(0.005).epsilon(1e-12));
  CHECK(scheduled_lr(o, 9, 100) == 0.01);
  CHECK(scheduled_lr(o, 50, 100) == 0.01);
  // With a rampdown, the warm-up multiplies it.
  o.lr_schedule = "rampdown";
  o.rampdown_fraction = 1;
  CHECK(scheduled_lr(o, 0, 100) == Approx(0.001).epsilon(1e-12));
  CHECK(scheduled_lr(o, 50, 100) < 0.01);
  // Parsed, and checked.
  CHECK(n2n::parse_train_options({"--warmup-fraction", "0.05"}).warmup_fraction == 0.05);
  CHECK_THROWS_AS(n2n::parse_train_options({"--warmup-fraction", "1.5"}), n2n::UsageError);
}

TEST_CASE("rampdown: lr, then lr * (0.5 + cos(t pi) / 2)^2 over the last fraction") {
  TrainOptions o;
  o.lr = 0.01;
  o.lr_schedule = "rampdown";
  o.rampdown_fraction = 0.3;
  // 100 steps: constant for steps 0..69, then t = (step - 70) / 30.
  for (std::size_t step = 0; step < 70; ++step)
    CHECK(scheduled_lr(o, step, 100) == 0.01);
  CHECK(scheduled_lr(o, 70, 100) == Approx(0.01).epsilon(1e-15));
  CHECK(scheduled_lr(o, 85, 100) == Approx(0.01 * 0.25).epsilon(1e-12));  // t = 1/2
  const double t = 29.0 / 30.0, s = 0.5 + std::cos(t * std::numbers::pi) / 2;
  CHECK(scheduled_lr(o, 99, 100) == Approx(0.01 * s * s).epsilon(1e-12));
  CHECK(scheduled_lr(o, 99, 100) < 1e-5);
  // Non-increasing and positive throughout.
  for (std::size_t step = 1; step < 100; ++step) {
    CHECK(scheduled_lr(o, step, 100) <= scheduled_lr(o, step - 1, 100));
    CHECK(scheduled_lr(o, step, 100) > 0);
  }
  // A rampdown over all the steps starts at once.
  o.rampdown_fraction = 1;
  CHECK(scheduled_lr(o, 50, 100) == Approx(0.01 * 0.25).epsilon(1e-12));
  CHECK(scheduled_lr(o, 1, 100) < 0.01);
}
