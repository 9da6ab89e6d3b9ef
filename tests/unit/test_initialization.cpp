// Kaiming (He) normal initialisation: every conv weight has the standard deviation
// gain / sqrt(fan_in) (sqrt(2), and 1 for the last conv), mean 0, biases 0, other parameters
// untouched; deterministic from the seed; the default initialisation is unchanged.

#include <cmath>
#include <cstring>
#include <string>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"

using namespace ctnn;

namespace {
struct Moments {
  double mean = 0, std_dev = 0;
};
Moments moments(const ParameterRef<float>& p) {
  double s = 0, s2 = 0;
  for (std::size_t i = 0; i < p.size; ++i) {
    s += p.value[i];
    s2 += double(p.value[i]) * p.value[i];
  }
  const double n = double(p.size), mean = s / n;
  return {mean, std::sqrt(s2 / n - mean * mean)};
}
// 64 -> 64 channels, 3 x 3: 36,864 values per weight, so the sample standard deviation is
// within 5 standard errors (5 / sqrt(2 n), 1.8 %) of the true one, and the mean within 5 std /
// sqrt(n), unless the initialisation is wrong (or with probability ~1e-6).
using Net = Sequential<Input<3, 16, 16>, Conv2d<3, 64, 3, 1, 1>, ReLU, Conv2d<64, 64, 3, 1, 1>,
                       ReLU, ConvTranspose2d<64, 64, 3, 1, 1>, ReLU, Conv2d<64, 3, 3, 1, 1>>;
}  // namespace

TEST_CASE("Kaiming normal: std sqrt(2 / fan_in), the last conv gain 1, biases 0", "[init]") {
  Net net{Seed{3}, Init::kaiming_normal};
  const auto params = net.parameters();
  REQUIRE(params.size() == 8);
  for (std::size_t k = 0; k < params.size(); k += 2) {
    const auto& w = params[k];
    INFO(w.name);
    const double fan_in = double(w.shape[1] * w.shape[2] * w.shape[3]);
    const double gain = k == 6 ? 1.0 : std::sqrt(2.0);
    const double want = gain / std::sqrt(fan_in);
    const auto m = moments(w);
    CHECK(std::abs(m.std_dev / want - 1) < 5 / std::sqrt(2.0 * double(w.size)));
    CHECK(std::abs(m.mean) < 5 * want / std::sqrt(double(w.size)));
    const auto& b = params[k + 1];
    for (std::size_t i = 0; i < b.size; ++i)
      CHECK(b.value[i] == 0.0f);
  }
  // ConvTranspose2d's fan_in is weight.size(1) K K = Cout K K, as PyTorch computes it.
  CHECK(params[4].shape[1] * 9 == 576);
}

TEST_CASE("Kaiming normal is deterministic and distinct from the default", "[init]") {
  Net a{Seed{5}, Init::kaiming_normal}, b{Seed{5}, Init::kaiming_normal},
      c{Seed{6}, Init::kaiming_normal};
  Net d{Seed{5}}, e{Seed{5}, Init::pytorch_default};
  const auto pa = a.parameters(), pb = b.parameters(), pc = c.parameters(), pd = d.parameters(),
             pe = e.parameters();
  for (std::size_t k = 0; k < pa.size(); ++k) {
    const std::size_t bytes = pa[k].size * sizeof(float);
    CHECK(std::memcmp(pa[k].value, pb[k].value, bytes) == 0);
    CHECK(std::memcmp(pd[k].value, pe[k].value, bytes) == 0);
    if (k % 2 == 0) {  // weights (biases are 0 in all Kaiming nets)
      CHECK(std::memcmp(pa[k].value, pc[k].value, bytes) != 0);
      CHECK(std::memcmp(pa[k].value, pd[k].value, bytes) != 0);
    }
  }
  // The default's weights are uniform in +-1/sqrt(fan_in): none beyond the bound.
  const double bound = 1 / std::sqrt(3.0 * 9);
  for (std::size_t i = 0; i < pd[0].size; ++i)
    CHECK(std::abs(pd[0].value[i]) <= bound);
}

TEST_CASE("init_kaiming_normal leaves non-conv parameters alone", "[init]") {
  float w[2] = {1.0f, 1.0f}, g[2] = {}, bias[2] = {0.5f, 0.5f};
  ParameterList<float> params{{"0.weight", w, g, 2, {2}}, {"0.bias", bias, g, 2, {2}}};
  Rng rng{Seed{1}};
  init_kaiming_normal(params, rng);
  CHECK(w[0] == 1.0f);
  CHECK(bias[1] == 0.5f);
}
