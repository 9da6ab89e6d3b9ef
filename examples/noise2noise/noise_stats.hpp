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
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "detail.hpp"
#include "noise.hpp"

namespace n2n {

/// The bands of the course's texture table (issue 16): clean luma L (mean of the channels) in
/// [0, 32), [32, 96), [96, 255] and the std s of L over the pixel's 3 x 3 neighbourhood (cut to
/// the image, clean_luma_local_var) in [0, 3), [3, 10), [10, 30), [30, inf).
inline constexpr int texture_luma_bands = 3, texture_std_bands = 4;

/// The table cell (luma band, local std band) of a pixel with luma `luma` and local variance
/// `var`; the std band is decided on the variance (s < 3 <=> var < 9), exact for the integer
/// sums clean_luma_local_var uses.
inline std::pair<int, int> texture_cell(double luma, double var) {
  const int l = luma < 32 ? 0 : luma < 96 ? 1 : 2;
  const int k = var < 9 ? 0 : var < 100 ? 1 : var < 900 ? 2 : 3;
  return {l, k};
}

struct NoiseStats {
  std::size_t images = 0;
  double mean = 0;        ///< mean of d
  double std = 0;         ///< std of d over all channel values
  double luma_std = 0;    ///< std of the per-pixel mean of d over the three channels
  double chroma_std = 0;  ///< std of d minus that mean
  double corr_rg = 0;     ///< correlation of d between the red and green channels
  double corr_gb = 0;     ///< ... green and blue
  double corr_rb = 0;     ///< ... red and blue
  /// Lag-1 autocorrelation of d between horizontal and between vertical neighbours (same
  /// channel, same image); about 0 for spatially white noise.
  double lag1_h = 0, lag1_v = 0;
  double unchanged_values = 0;  ///< fraction of the channel values with noisy == clean
  double kurtosis = 0;          ///< of d (3 for Gaussian noise; more means heavier tails)
  /// Per image: the fraction of pixels left (nearly) unchanged, |d| <= 2 on all channels.
  double unchanged_p05 = 0, unchanged_mean = 0, unchanged_p95 = 0;
  /// Per image: the std of d over the other pixels.
  double perturbed_std_p05 = 0, perturbed_std_mean = 0, perturbed_std_p95 = 0;
  /// Std of d where the clean value is < 32, in [32, 96), >= 96.
  double std_dark = 0, std_mid = 0, std_bright = 0;
  double psnr_mean = 0;    ///< mean over images of the noisy-vs-clean PSNR (dB, capped at 60)
  double psnr_pooled = 0;  ///< PSNR of the mean squared error over all images (dB)
  /// The course's texture table: std of the luma of d (per pixel the mean of d over the
  /// channels) by the clean luma band (rows) and the clean luma's local 3 x 3 std band
  /// (columns, texture_cell), and each cell's share of the pixels (0 where a cell is empty).
  double texture_std[texture_luma_bands][texture_std_bands] = {};
  double texture_share[texture_luma_bands][texture_std_bands] = {};
  /// Percentiles over images of the clean images' detail (image_detail).
  double detail_p25 = 0, detail_p50 = 0, detail_p75 = 0;
};

/// What was measured on the course's pairs (the numbers the course-like model aims at).
inline constexpr struct {
  double luma_std = 21, chroma_std = 6, corr_rg = 0.91;
  double unchanged_lo = 0.12, unchanged_hi = 0.67;
  double perturbed_std_lo = 19, perturbed_std_hi = 36;
  double std_dark = 7.5, std_mid = 21, std_bright = 26;
  double psnr = 20.7;
  double corr_gb = 0.93, corr_rb = 0.85;
  double std = 22, kurtosis = 13, unchanged_values = 0.10;
  /// The texture table measured on the course's validation pairs (issue 16).
  double texture_std[texture_luma_bands][texture_std_bands] = {
      {1.6, 5.9, 8.7, 10.0}, {5.9, 12.5, 20.5, 33.2}, {4.3, 13.7, 25.1, 40.1}};
  /// The course's clean images' detail at the 25th / 50th / 75th percentile.
  double detail_p25 = course_detail_quartiles[0], detail_p50 = course_detail_quartiles[1],
         detail_p75 = course_detail_quartiles[2];
} course_noise_targets;

/// Measures the noise of `images` pairs of 3 x H x W uint8 images (`plane` = H * W; `width` =
/// W, 0 for square images).
inline NoiseStats measure_noise(const std::uint8_t* noisy, const std::uint8_t* clean,
                                std::size_t images, std::size_t plane, std::size_t width = 0) {
  NoiseStats s;
  s.images = images;
  if (images == 0 || plane == 0) return s;
  if (width == 0) width = static_cast<std::size_t>(std::llround(std::sqrt(double(plane))));
  if (width == 0 || plane % width != 0)
    throw std::invalid_argument("measure_noise: an image of " + std::to_string(plane) +
                                " pixels is not " + std::to_string(width) + " pixels wide");
  const std::size_t height = plane / width;
  constexpr int near = 2;
  double n = 0, sum = 0, sum2 = 0, sum3 = 0, sum4 = 0, zeros = 0;
  double luma2 = 0, chroma2 = 0;
  // Sums and cross products of the channels' d, for the three correlations.
  double ch_sum[3] = {}, ch_sum2[3] = {}, ch_cross[3] = {};  // cross: RG, GB, RB
  // Lag-1 products of d (horizontal, vertical) and their counts.
  double lag_prod[2] = {}, lag_n[2] = {};
  double bucket_n[3] = {}, bucket_sum[3] = {}, bucket_sum2[3] = {};
  double cell_n[texture_luma_bands][texture_std_bands] = {};
  double cell_sum[texture_luma_bands][texture_std_bands] = {};
  double cell_sum2[texture_luma_bands][texture_std_bands] = {};
  std::vector<double> unchanged(images), perturbed_std(images), psnr(images), detail_of(images);
  std::vector<double> luma_of(plane), var_of(plane);
  for (std::size_t img = 0; img < images; ++img) {
    const std::uint8_t* x = noisy + img * 3 * plane;
    const std::uint8_t* y = clean + img * 3 * plane;
    clean_luma_local_var(y, height, width, luma_of.data(), var_of.data());
    detail_of[img] = image_detail(y, height, width);
    for (std::size_t k = 0; k < 3; ++k)
      for (std::size_t i = 0; i < plane; ++i) {
        const double d = double(x[k * plane + i]) - double(y[k * plane + i]);
        if (i % width + 1 < width) {
          lag_prod[0] += d * (double(x[k * plane + i + 1]) - double(y[k * plane + i + 1]));
          lag_n[0] += 1;
        }
        if (i + width < plane) {
          lag_prod[1] += d * (double(x[k * plane + i + width]) - double(y[k * plane + i + width]));
          lag_n[1] += 1;
        }
      }
    double kept = 0, moved_n = 0, moved_sum = 0, moved_sum2 = 0, sq = 0;
    for (std::size_t i = 0; i < plane; ++i) {
      int d[3];
      bool small = true;
      for (int k = 0; k < 3; ++k) {
        d[k] = int(x[k * plane + i]) - int(y[k * plane + i]);
        zeros += d[k] == 0;
        ch_sum[k] += d[k];
        ch_sum2[k] += double(d[k]) * d[k];
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
      ch_cross[0] += double(d[0]) * d[1];
      ch_cross[1] += double(d[1]) * d[2];
      ch_cross[2] += double(d[0]) * d[2];
      const auto [cl, ck] = texture_cell(luma_of[i], var_of[i]);
      cell_n[cl][ck] += 1;
      cell_sum[cl][ck] += luma;
      cell_sum2[cl][ck] += luma * luma;
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
  const auto corr = [&](int a, int b, double cross) {
    const double am = ch_sum[a] / pixels, bm = ch_sum[b] / pixels;
    const double av = ch_sum2[a] / pixels - am * am, bv = ch_sum2[b] / pixels - bm * bm;
    return av > 0 && bv > 0 ? (cross / pixels - am * bm) / std::sqrt(av * bv) : 0.0;
  };
  s.corr_rg = corr(0, 1, ch_cross[0]);
  s.corr_gb = corr(1, 2, ch_cross[1]);
  s.corr_rb = corr(0, 2, ch_cross[2]);
  // Lag-1 autocorrelation about the overall mean of d.
  for (int a = 0; a < 2; ++a) {
    const double r = lag_n[a] > 0 && var > 0 ? (lag_prod[a] / lag_n[a] - m * m) / var : 0;
    (a == 0 ? s.lag1_h : s.lag1_v) = r;
  }
  s.unchanged_values = zeros / n;
  for (int l = 0; l < texture_luma_bands; ++l)
    for (int k = 0; k < texture_std_bands; ++k) {
      if (cell_n[l][k] == 0) continue;
      const double cm = cell_sum[l][k] / cell_n[l][k];
      s.texture_std[l][k] = std::sqrt(std::max(0.0, cell_sum2[l][k] / cell_n[l][k] - cm * cm));
      s.texture_share[l][k] = cell_n[l][k] / pixels;
    }
  s.detail_p25 = percentile(detail_of, 0.25);
  s.detail_p50 = percentile(detail_of, 0.50);
  s.detail_p75 = percentile(detail_of, 0.75);
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
  s.unchanged_p05 = percentile(unchanged, 0.05);
  s.unchanged_mean = mean_of(unchanged);
  s.unchanged_p95 = percentile(unchanged, 0.95);
  s.perturbed_std_p05 = percentile(perturbed_std, 0.05);
  s.perturbed_std_mean = mean_of(perturbed_std);
  s.perturbed_std_p95 = percentile(perturbed_std, 0.95);
  s.psnr_mean = mean_of(psnr);
  const double mse_all = sum2 / n;
  s.psnr_pooled = mse_all > 0 ? 10 * std::log10(255.0 * 255.0 / mse_all) : 60.0;
  return s;
}

/// A table of the statistics beside the course's targets, one line per statistic, then the
/// texture table (measured and the course's figure in each cell) and the clean images' detail.
inline std::string format_noise_stats(const NoiseStats& s) {
  const auto& t = course_noise_targets;
  char buf[2048];
  std::snprintf(
      buf, sizeof buf,
      "  noise statistic (0..255 scale)          measured          course target\n"
      "  mean of noisy - clean                   %6.2f            ~0\n"
      "  std (all channel values)                %6.2f            ~%.0f\n"
      "  luma std / chroma std                   %6.2f / %5.2f    %.0f / %.0f\n"
      "  correlation of the noise R-G/G-B/R-B    %5.3f/%5.3f/%5.3f %.2f/%.2f/%.2f\n"
      "  lag-1 autocorrelation horiz. / vert.    %6.3f / %6.3f   ~0.01 / ~0.01\n"
      "  kurtosis (Gaussian: 3)                  %6.2f            ~%.0f\n"
      "  unchanged channel values (d = 0)        %5.1f%%            ~%.0f%%\n"
      "  unchanged pixels per image, p5..p95     %4.0f%% .. %3.0f%%     %.0f%% .. %.0f%%\n"
      "  perturbed std per image, p5..p95        %5.1f .. %5.1f    %.0f .. %.0f\n"
      "  std where clean <32 / 32-96 / >=96      %4.1f / %4.1f / %4.1f  %.1f / %.0f / %.0f\n"
      "  PSNR noisy vs clean, mean per image     %6.2f dB         %.1f dB\n"
      "  PSNR noisy vs clean, pooled MSE         %6.2f dB\n",
      s.mean, s.std, t.std, s.luma_std, s.chroma_std, t.luma_std, t.chroma_std, s.corr_rg,
      s.corr_gb, s.corr_rb, t.corr_rg, t.corr_gb, t.corr_rb, s.lag1_h, s.lag1_v, s.kurtosis,
      t.kurtosis, 100 * s.unchanged_values, 100 * t.unchanged_values, 100 * s.unchanged_p05,
      100 * s.unchanged_p95, 100 * t.unchanged_lo, 100 * t.unchanged_hi, s.perturbed_std_p05,
      s.perturbed_std_p95, t.perturbed_std_lo, t.perturbed_std_hi, s.std_dark, s.std_mid,
      s.std_bright, t.std_dark, t.std_mid, t.std_bright, s.psnr_mean, t.psnr, s.psnr_pooled);
  std::string out = buf;
  out += "  std of the luma of noisy - clean: measured (course) share of the pixels\n";
  out += "  clean luma \\ local 3x3 std";
  for (const char* band : {"< 3", "3-10", "10-30", ">= 30"}) {
    std::snprintf(buf, sizeof buf, "  %-15s", band);
    out += buf;
  }
  out.erase(out.find_last_not_of(' ') + 1);
  out += "\n";
  const char* rows[texture_luma_bands] = {"0-32  ", "32-96 ", "96-255"};
  for (int l = 0; l < texture_luma_bands; ++l) {
    out += std::string("  ") + rows[l] + "                    ";
    for (int k = 0; k < texture_std_bands; ++k) {
      std::snprintf(buf, sizeof buf, " %5.1f (%4.1f) %2.0f%%", s.texture_std[l][k],
                    t.texture_std[l][k], 100 * s.texture_share[l][k]);
      out += buf;
    }
    out += "\n";
  }
  std::snprintf(buf, sizeof buf,
                "  clean detail per image, p25/p50/p75     %4.1f / %4.1f / %4.1f  %.1f / %.1f / "
                "%.1f\n",
                s.detail_p25, s.detail_p50, s.detail_p75, t.detail_p25, t.detail_p50, t.detail_p75);
  return out + buf;
}

}  // namespace n2n
