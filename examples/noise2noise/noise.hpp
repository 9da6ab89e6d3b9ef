#pragma once
/// \file
/// Noise models that turn a clean uint8 RGB tile into a noisy one, deterministically from a
/// seed: Gaussian(sigma), blind Gaussian (sigma drawn per image from a range, as the
/// Noise2Noise paper trains), Poisson(peak), and two course-like models that mimic the statistics
/// of the EE-559 Noise2Noise pairs: the default `course`, whose strength follows the clean
/// image's texture and intensity as the course's does, and the earlier `course-flat` (see
/// docs/data.md for the models and the numbers they reach). The random numbers are our own
/// (splitmix64, polar-method normals, Poisson by multiplication or PTRS), never std::
/// distributions, whose output differs between standard libraries; so a seed gives the same data
/// set everywhere.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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

/// The first course-like noise (`course-flat`; the default `course` until issue 16): its
/// strength is the same on flat and textured areas, unlike the course's. Per image: a fraction
/// `keep` of the pixels is left unchanged, drawn uniformly in [keep_min, keep_max], and a
/// perturbation strength sigma in [sigma_min, sigma_max]. Each other pixel gets a luma perturbation
/// shared by its three channels plus a smaller independent one per channel (std ratio
/// `chroma_ratio`, which sets the channels' correlation to 1 / (1 + ratio^2)), scaled by a gain
/// that grows with the clean value (dark pixels are perturbed less), then rounded and clipped to
/// 0..255.
struct CourseFlatNoise {
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

/// The course-like noise (`course`, the default; named `course-texture` before it became the
/// default, and still read under that name): its strength follows the clean
/// image's local texture and intensity as measured on the course's pairs (issue 16,
/// docs/data.md). Per pixel, with L the clean luma (mean of the three channels) and s the
/// standard deviation of L over the pixel's 3 x 3 neighbourhood cut to the tile (4 pixels at a
/// corner, 6 on an edge, 9 inside; see clean_luma_local_var):
///
///     sigma(L, s) = amplitude * min(1, L / gain_ramp)
///                             * (min(s, texture_cap * L) + texture_offset)^texture_power
///
/// is the std of the luma of the noise before rounding and clipping (the texture counts up to
/// texture_cap * L: a dark pixel beside bright ones stays weakly perturbed, as measured). The
/// pixel is left unchanged with probability `keep`; otherwise it gets noise_c = sigma * w *
/// (M z)_c, with z three standard normals, M the Cholesky factor of the channels' correlation
/// matrix (corr_rg, corr_gb, corr_rb) scaled so the luma of M z has unit variance, and w =
/// exp(tail * xi - tail^2) (xi standard normal; E[w^2] = 1) a per-pixel log-normal scale shared
/// by the channels, which makes the tails heavy. Rounded and clipped to 0..255. The defaults
/// are fitted by tools/data/fit_texture_noise.py (docs/data.md); the correlations are the
/// model's, above the measured ones, which rounding and clipping lower.
struct CourseTextureNoise {
  // Fitted by tools/data/fit_texture_noise.py on 2,000 clean tiles of the default photos
  // (docs/data.md, "How it was fitted").
  double amplitude = 4.339;
  double texture_offset = 0.000687;
  double texture_power = 0.6113;
  double texture_cap = 0.6882;
  double gain_ramp = 50.93;
  double tail = 0.3957;
  double keep = 0.01805;
  double corr_rg = 0.9191, corr_gb = 0.9449, corr_rb = 0.8706;

  /// The std of the luma of the noise before rounding and clipping, for clean luma `luma` and
  /// local std `local_std` (0..255 scale).
  double strength(double luma, double local_std) const {
    return amplitude * std::min(1.0, luma / gain_ramp) *
           std::pow(std::min(local_std, texture_cap * luma) + texture_offset, texture_power);
  }
};

using NoiseModel = std::variant<CourseFlatNoise, GaussianNoise, PoissonNoise, BlindGaussianNoise,
                                CourseTextureNoise>;

/// Parses "course" (the texture-following model; "course-texture" is its earlier name),
/// "course-flat", "gaussian:SIGMA", "gaussian:MIN-MAX" (blind: sigma per image
/// in [MIN, MAX], 0 <= MIN < MAX) or "poisson:PEAK"; throws std::invalid_argument with the accepted
/// forms otherwise.
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
  if (spec == "course" || spec == "course-texture") return CourseTextureNoise{};
  if (spec == "course-flat") return CourseFlatNoise{};
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
                              "' (expected course, course-flat, gaussian:SIGMA, "
                              "gaussian:MIN-MAX or poisson:PEAK)");
}

/// The model as parse_noise_model reads it back ("course", "course-flat", "gaussian:25",
/// "gaussian:0-50", "poisson:30").
inline std::string noise_model_name(const NoiseModel& model) {
  const auto number = [](double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  if (std::holds_alternative<CourseTextureNoise>(model)) return "course";
  if (std::holds_alternative<CourseFlatNoise>(model)) return "course-flat";
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

/// For each pixel of a clean 3 x `height` x `width` uint8 image: its luma L = (R + G + B) / 3
/// and the (population) variance of L over its 3 x 3 neighbourhood cut to the image (4 pixels
/// at a corner, 6 on an edge, 9 inside: no values are invented beyond the edge). Computed from
/// exact integers, t = 3 L, n the window's size, S and Q the window's sums of t and t^2:
/// var = (n Q - S^2) / (9 n^2); so band edges (s < 3 <=> var < 9) fall the same way in
/// tools/data/fit_texture_noise.py.
inline void clean_luma_local_var(const std::uint8_t* clean, std::size_t height, std::size_t width,
                                 double* luma, double* var) {
  const std::size_t plane = height * width;
  for (std::size_t y = 0; y < height; ++y)
    for (std::size_t x = 0; x < width; ++x) {
      const std::size_t i = y * width + x;
      luma[i] = double(int(clean[i]) + clean[plane + i] + clean[2 * plane + i]) / 3.0;
      std::int64_t n = 0, sum = 0, sum2 = 0;
      for (std::size_t yy = y > 0 ? y - 1 : 0; yy <= std::min(y + 1, height - 1); ++yy)
        for (std::size_t xx = x > 0 ? x - 1 : 0; xx <= std::min(x + 1, width - 1); ++xx) {
          const std::size_t j = yy * width + xx;
          const std::int64_t t = std::int64_t(clean[j]) + clean[plane + j] + clean[2 * plane + j];
          ++n;
          sum += t;
          sum2 += t * t;
        }
      var[i] = double(n * sum2 - sum * sum) / (9.0 * double(n) * double(n));
    }
}

/// Writes a noisy copy of a clean 3 x H x W tile (`plane` = H * W pixels per channel) to
/// `noisy`, drawing from `rng`. `clean` and `noisy` must not overlap. `width` is W, which only
/// the course (texture-following) model needs (its strength follows each pixel's neighbourhood); 0
/// means a square tile, W = H = sqrt(plane).
inline void add_noise(const NoiseModel& model, const std::uint8_t* clean, std::uint8_t* noisy,
                      std::size_t plane, NoiseRng& rng, std::size_t width = 0) {
  constexpr std::size_t channels = 3;
  if (const auto* t = std::get_if<CourseTextureNoise>(&model)) {
    if (width == 0) width = static_cast<std::size_t>(std::llround(std::sqrt(double(plane))));
    if (width == 0 || plane % width != 0)
      throw std::invalid_argument("add_noise: a tile of " + std::to_string(plane) +
                                  " pixels is not " + std::to_string(width) + " pixels wide");
    std::vector<double> luma(plane), var(plane);
    clean_luma_local_var(clean, plane / width, width, luma.data(), var.data());
    // The Cholesky factor of the correlation matrix, scaled so the luma of M z has variance 1
    // (the sum of the matrix's entries is the variance of R + G + B).
    const double a = t->corr_rg, b = t->corr_gb, c = t->corr_rb;
    const double l11 = std::sqrt(1 - a * a);
    const double l21 = (b - a * c) / l11;
    const double l22 = std::sqrt(std::max(0.0, 1 - c * c - l21 * l21));
    const double scale = 3.0 / std::sqrt(3 + 2 * (a + b + c));
    const double m10 = scale * a, m11 = scale * l11, m20 = scale * c, m21 = scale * l21,
                 m22 = scale * l22;
    const double tail_shift = t->tail * t->tail;
    for (std::size_t i = 0; i < plane; ++i) {
      // Every pixel draws the uniform, so a change of `keep` does not shift the other draws.
      const bool kept = rng.uniform01() < t->keep;
      if (kept) {
        for (std::size_t k = 0; k < channels; ++k)
          noisy[k * plane + i] = clean[k * plane + i];
        continue;
      }
      const double w = std::exp(t->tail * rng.normal() - tail_shift);
      const double sigma = t->strength(luma[i], std::sqrt(var[i])) * w;
      const double z0 = rng.normal(), z1 = rng.normal(), z2 = rng.normal();
      const double n[3] = {scale * z0, m10 * z0 + m11 * z1, m20 * z0 + m21 * z1 + m22 * z2};
      for (std::size_t k = 0; k < channels; ++k)
        noisy[k * plane + i] = detail::round_to_byte(clean[k * plane + i] + sigma * n[k]);
    }
    return;
  }
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
  const CourseFlatNoise& c = std::get<CourseFlatNoise>(model);
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
