#pragma once
/// \file
/// Statistics of the noise in (noisy, clean) image pairs, to check a noise model against the
/// numbers measured on the course's data (docs/data.md). All values are on the 0..255 scale;
/// d = noisy - clean per channel value.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace n2n {

struct NoiseStats {
  std::size_t images = 0;
  double mean = 0;        ///< mean of d
  double std = 0;         ///< std of d over all channel values
  double luma_std = 0;    ///< std of the per-pixel mean of d over the three channels
  double chroma_std = 0;  ///< std of d minus that mean
  double corr_rg = 0;     ///< correlation of d between the red and green channels
  double kurtosis = 0;    ///< of d (3 for Gaussian noise; more means heavier tails)
  /// Per image: the fraction of pixels left (nearly) unchanged, |d| <= 2 on all channels.
  double unchanged_p05 = 0, unchanged_mean = 0, unchanged_p95 = 0;
  /// Per image: the std of d over the other pixels.
  double perturbed_std_p05 = 0, perturbed_std_mean = 0, perturbed_std_p95 = 0;
  /// Std of d where the clean value is < 32, in [32, 96), >= 96.
  double std_dark = 0, std_mid = 0, std_bright = 0;
  double psnr_mean = 0;    ///< mean over images of the noisy-vs-clean PSNR (dB, capped at 60)
  double psnr_pooled = 0;  ///< PSNR of the mean squared error over all images (dB)
};

/// What was measured on the course's pairs (the numbers the course-like model aims at).
inline constexpr struct {
  double luma_std = 21, chroma_std = 6, corr_rg = 0.9;
  double unchanged_lo = 0.12, unchanged_hi = 0.67;
  double perturbed_std_lo = 19, perturbed_std_hi = 36;
  double std_dark = 7.5, std_mid = 21, std_bright = 26;
  double psnr = 20.7;
} course_noise_targets;

namespace detail {
inline double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const std::size_t lo = std::size_t(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}
}  // namespace detail

/// Measures the noise of `images` pairs of 3 x H x W uint8 images (`plane` = H * W).
inline NoiseStats measure_noise(const std::uint8_t* noisy, const std::uint8_t* clean,
                                std::size_t images, std::size_t plane) {
  NoiseStats s;
  s.images = images;
  if (images == 0 || plane == 0) return s;
  constexpr int near = 2;
  double n = 0, sum = 0, sum2 = 0, sum3 = 0, sum4 = 0;
  double luma2 = 0, chroma2 = 0, r2 = 0, g2 = 0, rg = 0, r_sum = 0, g_sum = 0;
  double bucket_n[3] = {}, bucket_sum[3] = {}, bucket_sum2[3] = {};
  std::vector<double> unchanged(images), perturbed_std(images), psnr(images);
  for (std::size_t img = 0; img < images; ++img) {
    const std::uint8_t* x = noisy + img * 3 * plane;
    const std::uint8_t* y = clean + img * 3 * plane;
    double kept = 0, moved_n = 0, moved_sum = 0, moved_sum2 = 0, sq = 0;
    for (std::size_t i = 0; i < plane; ++i) {
      int d[3];
      bool small = true;
      for (int k = 0; k < 3; ++k) {
        d[k] = int(x[k * plane + i]) - int(y[k * plane + i]);
        small = small && std::abs(d[k]) <= near;
        const int b = y[k * plane + i] < 32 ? 0 : y[k * plane + i] < 96 ? 1 : 2;
        bucket_n[b] += 1;
        bucket_sum[b] += d[k];
        bucket_sum2[b] += double(d[k]) * d[k];
        const double dd = d[k];
        sum += dd;
        sum2 += dd * dd;
        sum3 += dd * dd * dd;
        sum4 += dd * dd * dd * dd;
        sq += dd * dd;
      }
      const double luma = (d[0] + d[1] + d[2]) / 3.0;
      luma2 += luma * luma;
      for (int k = 0; k < 3; ++k)
        chroma2 += (d[k] - luma) * (d[k] - luma);
      r_sum += d[0];
      g_sum += d[1];
      r2 += double(d[0]) * d[0];
      g2 += double(d[1]) * d[1];
      rg += double(d[0]) * d[1];
      if (small) {
        kept += 1;
      } else {
        for (int k = 0; k < 3; ++k) {
          moved_n += 1;
          moved_sum += d[k];
          moved_sum2 += double(d[k]) * d[k];
        }
      }
    }
    n += 3.0 * double(plane);
    unchanged[img] = kept / double(plane);
    const double moved_mean = moved_n > 0 ? moved_sum / moved_n : 0;
    perturbed_std[img] =
        moved_n > 0 ? std::sqrt(std::max(0.0, moved_sum2 / moved_n - moved_mean * moved_mean)) : 0;
    const double mse = sq / (3.0 * double(plane));
    psnr[img] = mse > 0 ? std::min(60.0, 10 * std::log10(255.0 * 255.0 / mse)) : 60.0;
  }
  const double pixels = n / 3.0;
  s.mean = sum / n;
  const double var = sum2 / n - s.mean * s.mean;
  s.std = std::sqrt(std::max(0.0, var));
  // Fourth central moment from the raw moments.
  const double m = s.mean;
  const double m4 = sum4 / n - 4 * m * sum3 / n + 6 * m * m * sum2 / n - 3 * m * m * m * m;
  s.kurtosis = var > 0 ? m4 / (var * var) : 0;
  const double luma_mean = s.mean;
  s.luma_std = std::sqrt(std::max(0.0, luma2 / pixels - luma_mean * luma_mean));
  s.chroma_std = std::sqrt(chroma2 / n);
  const double rm = r_sum / pixels, gm = g_sum / pixels;
  const double cov = rg / pixels - rm * gm;
  const double rv = r2 / pixels - rm * rm, gv = g2 / pixels - gm * gm;
  s.corr_rg = rv > 0 && gv > 0 ? cov / std::sqrt(rv * gv) : 0;
  double* bucket_std[3] = {&s.std_dark, &s.std_mid, &s.std_bright};
  for (int b = 0; b < 3; ++b) {
    if (bucket_n[b] == 0) continue;
    const double bm = bucket_sum[b] / bucket_n[b];
    *bucket_std[b] = std::sqrt(std::max(0.0, bucket_sum2[b] / bucket_n[b] - bm * bm));
  }
  const auto mean_of = [](const std::vector<double>& v) {
    double t = 0;
    for (double x : v)
      t += x;
    return t / double(v.size());
  };
  s.unchanged_p05 = detail::percentile(unchanged, 0.05);
  s.unchanged_mean = mean_of(unchanged);
  s.unchanged_p95 = detail::percentile(unchanged, 0.95);
  s.perturbed_std_p05 = detail::percentile(perturbed_std, 0.05);
  s.perturbed_std_mean = mean_of(perturbed_std);
  s.perturbed_std_p95 = detail::percentile(perturbed_std, 0.95);
  s.psnr_mean = mean_of(psnr);
  const double mse_all = sum2 / n;
  s.psnr_pooled = mse_all > 0 ? 10 * std::log10(255.0 * 255.0 / mse_all) : 60.0;
  return s;
}

/// A table of the statistics beside the course's targets, one line per statistic.
inline std::string format_noise_stats(const NoiseStats& s) {
  const auto& t = course_noise_targets;
  char buf[2048];
  std::snprintf(
      buf, sizeof buf,
      "  noise statistic (0..255 scale)          measured          course target\n"
      "  mean of noisy - clean                   %6.2f            ~0\n"
      "  std (all channel values)                %6.2f\n"
      "  luma std / chroma std                   %6.2f / %5.2f    %.0f / %.0f\n"
      "  R-G correlation of the noise            %6.3f            %.2f\n"
      "  kurtosis (Gaussian: 3)                  %6.2f            heavy-tailed (> 3)\n"
      "  unchanged pixels per image, p5..p95     %4.0f%% .. %3.0f%%     %.0f%% .. %.0f%%\n"
      "  perturbed std per image, p5..p95        %5.1f .. %5.1f    %.0f .. %.0f\n"
      "  std where clean <32 / 32-96 / >=96      %4.1f / %4.1f / %4.1f  %.1f / %.0f / %.0f\n"
      "  PSNR noisy vs clean, mean per image     %6.2f dB         %.1f dB\n"
      "  PSNR noisy vs clean, pooled MSE         %6.2f dB\n",
      s.mean, s.std, s.luma_std, s.chroma_std, t.luma_std, t.chroma_std, s.corr_rg, t.corr_rg,
      s.kurtosis, 100 * s.unchanged_p05, 100 * s.unchanged_p95, 100 * t.unchanged_lo,
      100 * t.unchanged_hi, s.perturbed_std_p05, s.perturbed_std_p95, t.perturbed_std_lo,
      t.perturbed_std_hi, s.std_dark, s.std_mid, s.std_bright, t.std_dark, t.std_mid, t.std_bright,
      s.psnr_mean, t.psnr, s.psnr_pooled);
  return buf;
}

}  // namespace n2n
