#pragma once
/// \file
/// How a network's weights start: PyTorch's default (what every layer draws when it is
/// constructed) or Kaiming (He) normal initialisation, as the Noise2Noise paper's code applies
/// it. `Sequential<...> net{Seed{0}, Init::kaiming_normal}` chooses per network;
/// `init_kaiming_normal(params, rng)` re-initialises any parameter list.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ctnn/core/init.hpp"
#include "ctnn/core/parameter.hpp"

namespace ctnn {

/// A network's initialisation.
enum class Init {
  pytorch_default,  ///< weights and biases uniform in +-1/sqrt(fan_in) (each layer's own)
  kaiming_normal,   ///< conv weights N(0, 2 / fan_in), the last one N(0, 1 / fan_in); biases 0
};

/// He et al. (2015) normal initialisation: every conv weight (a rank-4 parameter named
/// "...weight") is drawn from N(0, gain^2 / fan_in), the last one in the list with `last_gain`
/// (gain sqrt(2) suits ReLU and leaky ReLU; the Noise2Noise code gives its linear output layer
/// gain 1); their biases ("...bias" beside such a weight) are set to 0. Other parameters
/// (BatchNorm2d's weight and bias) keep their values. fan_in = weight.size(1) * K * K, as
/// PyTorch's torch.nn.init computes it (for ConvTranspose2d, whose weight is (Cin, Cout, K, K),
/// that is Cout K K).
template <class T>
void init_kaiming_normal(const ParameterList<T>& params, Rng& rng, double gain = std::sqrt(2.0),
                         double last_gain = 1.0) {
  auto is_conv_weight = [](const ParameterRef<T>& p) {
    const std::string_view name = p.name;
    return p.shape.size() == 4 && name.size() >= 6 && name.substr(name.size() - 6) == "weight";
  };
  std::size_t last = params.size();
  for (std::size_t i = 0; i < params.size(); ++i)
    if (is_conv_weight(params[i])) last = i;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    if (!is_conv_weight(p)) continue;
    const double fan_in = double(p.shape[1] * p.shape[2] * p.shape[3]);
    const double std_dev = (i == last ? last_gain : gain) / std::sqrt(fan_in);
    for (std::size_t j = 0; j < p.size; ++j)
      p.value[j] = static_cast<T>(std_dev * rng.normal());
    // Its bias: the same prefix, "bias" for "weight".
    const std::string bias = p.name.substr(0, p.name.size() - 6) + "bias";
    for (const auto& q : params)
      if (q.name == bias)
        for (std::size_t j = 0; j < q.size; ++j)
          q.value[j] = T(0);
  }
}

/// The stream Kaiming initialisation draws from for a network seeded with `seed`: apart from
/// the stream of the default initialisation, which runs first.
inline Rng kaiming_rng(Seed seed) {
  return Rng{seed.value ^ 0x4b61696d696e6721ULL};
}

}  // namespace ctnn
