#pragma once
/// \file
/// Noise models that turn a clean uint8 RGB tile into a noisy one, deterministically from a
/// seed: Gaussian(sigma), blind Gaussian (sigma drawn per image from a range, as the
/// Noise2Noise paper trains), Poisson(peak) and the default "course-like" model, which mimics the
/// statistics of the EE-559 Noise2Noise pairs (see docs/data.md for the model and the numbers
/// it reaches). The random numbers are our own (splitmix64, polar-method normals, Poisson by
/// multiplication or PTRS), never std:: distributions, whose output differs between standard
/// libraries; so a seed gives the same data set everywhere.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include "ctnn/core/init.hpp"

namespace n2n {

using ctnn::Rng;

/// Independent N(0, sigma^2) on every channel value (0..255 scale).
struct GaussianNoise {
  double sigma = 25.0;
};

/// Gaussian noise of a strength drawn per image: sigma uniform in [sigma_min, sigma_max), then
/// independent N(0, sigma^2) on every channel value (0..255 scale). The Noise2Noise paper's
/// Gaussian experiments train on sigma in [0, 50] ("gaussian:0-50").
struct BlindGaussianNoise {
  double sigma_min = 0.0;
  double sigma_max = 50.0;
};

/// Shot noise: a channel value v becomes Poisson(peak * v / 255) * 255 / peak, i.e. a sensor
/// that collects `peak` photons at white. Smaller peak, noisier image.
struct PoissonNoise {
  double peak = 30.0;
};

/// The course-like noise. Per image: a fraction `keep` of the pixels is left unchanged, drawn
/// uniformly in [keep_min, keep_max], and a perturbation strength sigma in [sigma_min,
/// sigma_max]. Each other pixel gets a luma perturbation shared by its three channels plus a
/// smaller independent one per channel (std ratio `chroma_ratio`, which sets the channels'
/// correlation to 1 / (1 + ratio^2)), scaled by a gain that grows with the clean value (dark
/// pixels are perturbed less), then rounded and clipped to 0..255.
struct CourseNoise {
  double keep_min = 0.12;
  double keep_max = 0.67;
  double sigma_min = 28.0;
  double sigma_max = 40.0;
  double chroma_ratio = 0.25;
  /// gain(v) = min(1, gain_at_black + v / gain_ramp)
  double gain_at_black = 0.05;
  double gain_ramp = 80.0;

  double gain(double clean_value) const {
    return std::min(1.0, gain_at_black + clean_value / gain_ramp);
  }
};

using NoiseModel = std::variant<CourseNoise, GaussianNoise, PoissonNoise, BlindGaussianNoise>;

/// Parses "course", "gaussian:SIGMA", "gaussian:MIN-MAX" (blind: sigma per image in
/// [MIN, MAX], 0 <= MIN < MAX) or "poisson:PEAK"; throws std::invalid_argument with the
/// accepted forms otherwise.
inline NoiseModel parse_noise_model(std::string_view spec) {
  // A finite decimal number filling `text` (no sign: sigmas and peaks are not negative), or -1.
  const auto number = [](const std::string& text) {
    std::size_t used = 0;
    double value = -1;
    if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.'))
      return -1.0;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      return -1.0;
    }
    return used == text.size() && std::isfinite(value) ? value : -1.0;
  };
  const auto positive_after = [&](std::string_view prefix) {
    const double value = number(std::string(spec.substr(prefix.size())));
    if (!(value > 0))
      throw std::invalid_argument("noise '" + std::string(spec) +
                                  "': expected a positive number after '" + std::string(prefix) +
                                  "'");
    return value;
  };
  if (spec == "course") return CourseNoise{};
  if (spec.starts_with("gaussian:")) {
    const std::string rest(spec.substr(9));
    const auto dash = rest.find('-');
    if (number(rest) > 0 || dash == std::string::npos || dash == 0)  // "gaussian:1e-3" is one
      return GaussianNoise{positive_after("gaussian:")};
    const double lo = number(rest.substr(0, dash)), hi = number(rest.substr(dash + 1));
    if (!(lo >= 0 && hi > lo))
      throw std::invalid_argument("noise '" + std::string(spec) +
                                  "': expected gaussian:MIN-MAX with 0 <= MIN < MAX");
    return BlindGaussianNoise{lo, hi};
  }
  if (spec.starts_with("poisson:")) return PoissonNoise{positive_after("poisson:")};
  throw std::invalid_argument("unknown noise '" + std::string(spec) +
                              "' (expected course, gaussian:SIGMA, gaussian:MIN-MAX or "
                              "poisson:PEAK)");
}

/// The model as parse_noise_model reads it back ("course", "gaussian:25", "gaussian:0-50",
/// "poisson:30").
inline std::string noise_model_name(const NoiseModel& model) {
  const auto number = [](double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  if (std::holds_alternative<CourseNoise>(model)) return "course";
  if (const auto* g = std::get_if<GaussianNoise>(&model)) return "gaussian:" + number(g->sigma);
  if (const auto* b = std::get_if<BlindGaussianNoise>(&model))
    return "gaussian:" + number(b->sigma_min) + "-" + number(b->sigma_max);
  return "poisson:" + number(std::get<PoissonNoise>(model).peak);
}

/// splitmix64's finaliser: a well-mixed 64-bit hash.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// The random numbers of the noise models: ctnn::Rng's splitmix64 for uniforms, and normals by
/// Marsaglia's polar method, which makes two per logarithm and needs no trigonometry (several
/// times faster than Box-Muller here, and the noise is the builder's hot loop).
class NoiseRng {
 public:
  explicit NoiseRng(std::uint64_t seed) noexcept : rng_(seed) {}

  std::uint64_t next_u64() noexcept { return rng_.next_u64(); }
  /// Uniform in [0, 1).
  double uniform01() noexcept { return rng_.uniform01(); }
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform01(); }
  /// Standard normal.
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, r2;
    do {
      u = 2 * uniform01() - 1;
      v = 2 * uniform01() - 1;
      r2 = u * u + v * v;
    } while (r2 >= 1 || r2 == 0);
    const double scale = std::sqrt(-2 * std::log(r2) / r2);
    spare_ = v * scale;
    has_spare_ = true;
    return u * scale;
  }

 private:
  Rng rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

/// An independent random stream for item `index` of stream `stream` under `seed`. Giving each
/// tile its own stream makes the result independent of the order (and the threads) in which
/// tiles are processed.
inline NoiseRng stream_rng(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) noexcept {
  return NoiseRng(mix64(mix64(seed ^ mix64(stream + 0x632be59bd9b4e019ULL)) + index));
}

namespace detail {

inline std::uint8_t round_to_byte(double v) {
  return static_cast<std::uint8_t>(std::clamp(std::floor(v + 0.5), 0.0, 255.0));
}

/// ln(k!) without std::lgamma (which writes the global `signgam`, a data race in threads).
inline double log_factorial(std::uint64_t k) {
  constexpr double table[] = {0.0,
                              0.0,
                              0.69314718055994531,
                              1.79175946922805500,
                              3.17805383034794562,
                              4.78749174278204599,
                              6.57925121201010100,
                              8.52516136106541430,
                              10.60460290274525023,
                              12.80182748008146961,
                              15.10441257307551530,
                              17.50230784587388584,
                              19.98721449566188615,
                              22.55216385312342289,
                              25.19122118273868150,
                              27.89927138384089157};
  if (k < 16) return table[k];
  // Stirling's series; its error at k >= 16 is below 1e-13.
  const double x = double(k);
  const double inv = 1.0 / x, inv2 = inv * inv;
  return x * std::log(x) - x + 0.5 * std::log(6.283185307179586 * x) +
         inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 / 1260));
}

/// A Poisson(lambda) sample: multiplication of uniforms for small lambda, Hörmann's
/// transformed rejection with squeeze (PTRS, 1993) for larger lambda, where the first method
/// would need about lambda uniforms per sample.
inline std::uint64_t poisson(double lambda, NoiseRng& rng) {
  if (lambda <= 0) return 0;
  if (lambda < 12) {
    const double limit = std::exp(-lambda);
    std::uint64_t k = 0;
    double product = rng.uniform01();
    while (product > limit) {
      ++k;
      product *= rng.uniform01();
    }
    return k;
  }
  const double slam = std::sqrt(lambda), loglam = std::log(lambda);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double v_r = 0.9277 - 3.6224 / (b - 2);
  while (true) {
    const double u = rng.uniform01() - 0.5;
    const double v = rng.uniform01();
    const double us = 0.5 - std::abs(u);
    const double k = std::floor((2 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= v_r) return static_cast<std::uint64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -lambda + k * loglam - log_factorial(static_cast<std::uint64_t>(k)))
      return static_cast<std::uint64_t>(k);
  }
}

}  // namespace detail

/// Writes a noisy copy of a clean 3 x H x W tile (`plane` = H * W pixels per channel) to
/// `noisy`, drawing from `rng`. `clean` and `noisy` must not overlap.
inline void add_noise(const NoiseModel& model, const std::uint8_t* clean, std::uint8_t* noisy,
                      std::size_t plane, NoiseRng& rng) {
  constexpr std::size_t channels = 3;
  if (const auto* g = std::get_if<GaussianNoise>(&model)) {
    for (std::size_t i = 0; i < channels * plane; ++i)
      noisy[i] = detail::round_to_byte(clean[i] + g->sigma * rng.normal());
    return;
  }
  if (const auto* b = std::get_if<BlindGaussianNoise>(&model)) {
    // The image's sigma is its stream's first draw.
    const double sigma = rng.uniform(b->sigma_min, b->sigma_max);
    for (std::size_t i = 0; i < channels * plane; ++i)
      noisy[i] = detail::round_to_byte(clean[i] + sigma * rng.normal());
    return;
  }
  if (const auto* p = std::get_if<PoissonNoise>(&model)) {
    for (std::size_t i = 0; i < channels * plane; ++i) {
      const double photons = double(detail::poisson(p->peak * clean[i] / 255.0, rng));
      noisy[i] = detail::round_to_byte(photons * 255.0 / p->peak);
    }
    return;
  }
  const CourseNoise& c = std::get<CourseNoise>(model);
  const double keep = rng.uniform(c.keep_min, c.keep_max);
  const double sigma = rng.uniform(c.sigma_min, c.sigma_max);
  // Split sigma between the shared and the per-channel parts so each channel's std is sigma.
  const double norm = 1.0 / std::sqrt(1.0 + c.chroma_ratio * c.chroma_ratio);
  const double shared = sigma * norm, own = sigma * c.chroma_ratio * norm;
  for (std::size_t i = 0; i < plane; ++i) {
    if (rng.uniform01() < keep) {
      for (std::size_t k = 0; k < channels; ++k)
        noisy[k * plane + i] = clean[k * plane + i];
      continue;
    }
    const double luma = shared * rng.normal();
    for (std::size_t k = 0; k < channels; ++k) {
      const double v = clean[k * plane + i];
      noisy[k * plane + i] = detail::round_to_byte(v + c.gain(v) * (luma + own * rng.normal()));
    }
  }
}

}  // namespace n2n
