#pragma once
/// \file
/// The U-Net of the Noise2Noise paper (Lehtinen et al., ICML 2018; NVlabs/noise2noise,
/// network.py, `autoencoder`), as a ctnn type, for 3 x H x W RGB images with H and W multiples
/// of 32. Every conv is 3 x 3, padding 1, with bias, followed by LeakyReLU(0.1) except the
/// last (a linear output). Five 2 x 2 max pools down, five nearest x2 upsamplings up; each
/// upsampled map is concatenated with the encoder's map of that size, upsampled first:
///
///   enc_conv0 3->48, enc_conv1 48->48, pool1; enc_conv2..5 48->48 each followed by pool2..5;
///   enc_conv6 48->48; upsample5 ++ pool4 (96), dec_conv5 96->96, dec_conv5b 96->96;
///   upsample4 ++ pool3 (144), dec_conv4 144->96, dec_conv4b; the same at levels 3 and 2 (with
///   pool2, then pool1); upsample1 ++ input (99), dec_conv1a 99->64, dec_conv1b 64->32,
///   dec_conv1 32->3.
///
/// Each "upsample ++ skip" is a SkipConcat around the path below it, so the type nests five
/// deep; its parameters are named as the PyTorch mirror in tools/pytorch/ names them
/// ("0.body.0.weight" is enc_conv0's weight). The weights do not depend on H and W: the same
/// checkpoint loads into UNet<32, 32> and UNet<256, 256>.

#include <ratio>

#include "ctnn/ctnn.hpp"

namespace ctnn::models {

namespace diagnose {
/// The U-Net's input size check: five 2 x 2 poolings need H and W divisible by 32.
template <int H, int W>
struct UNetSize {
  static_assert(H > 0 && W > 0 && H % 32 == 0 && W % 32 == 0,
                "UNet<H, W>: H and W must be positive multiples of 32 (five 2x2 max pools, "
                "then five x2 upsamplings back to the input size); pad or crop the image");
};
}  // namespace diagnose

namespace unet {
using LReLU = LeakyReLU<std::ratio<1, 10>>;
template <int Cin, int Cout>
using Conv = Conv2d<Cin, Cout, 3, 1, 1>;
using Pool = MaxPool2d<2>;
using Up = Upsample<2>;

/// enc_conv5, pool5, enc_conv6, upsample5: applied to pool4, concatenated with it (96).
using Level5 = SkipConcat<Conv<48, 48>, LReLU, Pool, Conv<48, 48>, LReLU, Up>;
/// enc_conv4, pool4, [level 5], dec_conv5, dec_conv5b, upsample4: applied to pool3 (-> 144).
using Level4 =
    SkipConcat<Conv<48, 48>, LReLU, Pool, Level5, Conv<96, 96>, LReLU, Conv<96, 96>, LReLU, Up>;
/// enc_conv3, pool3, [level 4], dec_conv4, dec_conv4b, upsample3: applied to pool2 (-> 144).
using Level3 =
    SkipConcat<Conv<48, 48>, LReLU, Pool, Level4, Conv<144, 96>, LReLU, Conv<96, 96>, LReLU, Up>;
/// enc_conv2, pool2, [level 3], dec_conv3, dec_conv3b, upsample2: applied to pool1 (-> 144).
using Level2 =
    SkipConcat<Conv<48, 48>, LReLU, Pool, Level3, Conv<144, 96>, LReLU, Conv<96, 96>, LReLU, Up>;
/// enc_conv0, enc_conv1, pool1, [level 2], dec_conv2, dec_conv2b, upsample1: applied to the
/// input (-> 96 + 3 = 99).
using Level1 = SkipConcat<Conv<3, 48>, LReLU, Conv<48, 48>, LReLU, Pool, Level2, Conv<144, 96>,
                          LReLU, Conv<96, 96>, LReLU, Up>;

template <int H, int W, class T>
struct Checked {
  static_assert(sizeof(diagnose::UNetSize<H, W>) > 0);
  // (A size already reported above is replaced so that no other error follows.)
  static constexpr int h = H > 0 && H % 32 == 0 ? H : 32, w = W > 0 && W % 32 == 0 ? W : 32;
  using type =
      Sequential<Input<3, h, w, T>, Level1, Conv<99, 64>, LReLU, Conv<64, 32>, LReLU, Conv<32, 3>>;
};
}  // namespace unet

/// The Noise2Noise U-Net for 3 x H x W images (H, W multiples of 32; a compile error
/// otherwise). Initialise it as the paper's code does with
/// `UNet<> net{Seed{0}, Init::kaiming_normal}`.
template <int H = 32, int W = H, class T = float>
using UNet = typename unet::Checked<H, W, T>::type;

}  // namespace ctnn::models
