#pragma once
/// \file
/// Seeded, portable random numbers for PyTorch-style initialisation.

#include <cmath>
#include <cstdint>

namespace ctnn {

/// An explicit seed: networks and layers are initialised deterministically from it.
struct Seed {
  std::uint64_t value = 0;
};

/// splitmix64: tiny, fast and identical on every platform and standard library
/// (std:: distributions are not), so a seed gives the same weights everywhere.
class Rng {
 public:
  explicit Rng(Seed seed) : state_(seed.value) {}
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next_u64() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform01() noexcept { return double(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform01(); }
  /// Standard normal (Box-Muller).
  double normal() noexcept {
    double u1 = uniform01();
    while (u1 <= 0.0)
      u1 = uniform01();
    const double u2 = uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  std::uint64_t state() const noexcept { return state_; }
  void set_state(std::uint64_t s) noexcept { state_ = s; }

 private:
  std::uint64_t state_;
};

/// Fills `n` values uniformly in [-bound, bound]: PyTorch's default for conv weights
/// (kaiming_uniform with a = sqrt(5) gives bound = 1/sqrt(fan_in)) and biases.
template <class T>
void init_uniform(T* p, std::size_t n, double bound, Rng& rng) {
  for (std::size_t i = 0; i < n; ++i)
    p[i] = static_cast<T>(rng.uniform(-bound, bound));
}

}  // namespace ctnn
