#pragma once
/// \file
/// Peak signal-to-noise ratio of images in [0, 1], both ways it is commonly reported:
/// - pooled: -10 log10(MSE over all pixels of all images + 1e-8);
/// - mean per image: the average over images of -10 log10(MSE of that image + 1e-8).
/// The second is lower when some images are much worse than others.

#include <array>
#include <cmath>
#include <cstddef>

namespace ctnn {

struct Psnr {
  double pooled = 0;          ///< dB, from the MSE pooled over every image
  double mean_per_image = 0;  ///< dB, the mean of the per-image PSNRs
};

/// Accumulates PSNR over batches; values of both inputs are in [0, 1].
class PsnrAccumulator {
 public:
  static constexpr double epsilon = 1e-8;

  /// `n` images of `image_size` values each, at a and b.
  template <class A, class B>
  void add(const A* a, const B* b, std::size_t n, std::size_t image_size) {
    for (std::size_t i = 0; i < n; ++i) {
      double se = 0;
      for (std::size_t j = 0; j < image_size; ++j) {
        const double d = double(a[i * image_size + j]) - double(b[i * image_size + j]);
        se += d * d;
      }
      squared_error_ += se;
      values_ += image_size;
      psnr_sum_ += -10.0 * std::log10(se / double(image_size) + epsilon);
      ++images_;
    }
  }

  /// The running sums (squared error, sum of per-image PSNRs, values, images), to add up the
  /// accumulators of several processes (each over its share of the images) with add_totals.
  std::array<double, 4> totals() const {
    return {squared_error_, psnr_sum_, double(values_), double(images_)};
  }
  void add_totals(const std::array<double, 4>& t) {
    squared_error_ += t[0];
    psnr_sum_ += t[1];
    values_ += std::size_t(t[2]);
    images_ += std::size_t(t[3]);
  }

  std::size_t images() const { return images_; }
  double mse() const { return values_ ? squared_error_ / double(values_) : 0.0; }
  Psnr result() const {
    return {-10.0 * std::log10(mse() + epsilon), images_ ? psnr_sum_ / double(images_) : 0.0};
  }

 private:
  double squared_error_ = 0, psnr_sum_ = 0;
  std::size_t values_ = 0, images_ = 0;
};

}  // namespace ctnn
