#pragma once
/// \file
/// DnCNN (Zhang et al., "Beyond a Gaussian Denoiser", IEEE TIP 2017) for RGB images, as a ctnn
/// type: conv 3->64 + ReLU, 15 x (conv 64->64 + BatchNorm2d + ReLU), conv 64->3, every conv
/// 3 x 3 with padding 1 and bias. Residual learning: the layers predict the noise and the
/// network returns the input minus the prediction (`InputMinus`). Any H x W (every layer keeps
/// the size); parameters and buffers are named "0.body.<i>.<name>" as in the PyTorch mirror of
/// tools/pytorch/. Train it in training mode (batch statistics), denoise in `net.eval()`.

#include <cstddef>

#include "ctnn/ctnn.hpp"

namespace ctnn::models {

namespace dncnn {
template <class... Ts>
struct List {};

/// List<Ts..., Group repeated N times, Tail...> flattened, applied to InputMinus.
template <std::size_t N, class Acc, class... Tail>
struct Repeat;
template <class... Acc, class... Tail>
struct Repeat<0, List<Acc...>, Tail...> {
  using type = InputMinus<Acc..., Tail...>;
};
template <std::size_t N, class... Acc, class... Tail>
struct Repeat<N, List<Acc...>, Tail...> {
  using type = typename Repeat<N - 1, List<Acc..., Conv2d<64, 64, 3, 1, 1>, BatchNorm2d<64>, ReLU>,
                               Tail...>::type;
};

/// conv 3->64 + ReLU, `Middle` x (conv + BN + ReLU), conv 64->3, inside InputMinus.
template <std::size_t Middle>
using Body =
    typename Repeat<Middle, List<Conv2d<3, 64, 3, 1, 1>, ReLU>, Conv2d<64, 3, 3, 1, 1>>::type;
}  // namespace dncnn

/// DnCNN for 3 x H x W images, with `Middle` (15 in the paper's 17-layer network) conv + BN +
/// ReLU layers between the first and the last conv.
template <int H = 32, int W = H, class T = float, std::size_t Middle = 15>
using DnCNN = Sequential<Input<3, H, W, T>, dncnn::Body<Middle>>;

}  // namespace ctnn::models
