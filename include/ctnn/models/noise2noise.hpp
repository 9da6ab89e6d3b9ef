#pragma once
/// \file
/// The Noise2Noise denoisers of the EPFL EE-559 course project, as ctnn types, for 3 x 32 x 32
/// RGB images in [0, 1].

#include "ctnn/ctnn.hpp"

namespace ctnn::models {

/// The course's initial model: 4 conv layers with 32 channels, stride 1, no padding
/// (32 -> 30 -> 28 -> 30 -> 32). About 34 MFLOP per image forward.
template <class T = float>
using InitialDenoiser =
    Sequential<Input<3, 32, 32, T>, Conv2d<3, 32, 3>, ReLU, Conv2d<32, 32, 3>, ReLU,
               ConvTranspose2d<32, 32, 3>, ReLU, ConvTranspose2d<32, 3, 3>, Sigmoid>;

/// The course's final model: 100 channels and a skip concatenation around the middle pair.
/// About 315 MFLOP per image forward.
template <class T = float>
using FinalDenoiser =
    Sequential<Input<3, 32, 32, T>, Conv2d<3, 100, 3>, ReLU,
               SkipConcat<Conv2d<100, 100, 3>, ReLU, ConvTranspose2d<100, 100, 3>, ReLU>,
               ConvTranspose2d<200, 3, 3>, Sigmoid>;

/// The course's second architecture: stride-2 convs down, then nearest upsampling + conv
/// instead of transposed convs (32 -> 16 -> 8 -> 16 -> 32).
template <class T = float>
using UpsampleDenoiser =
    Sequential<Input<3, 32, 32, T>, Conv2d<3, 32, 3, 2, 1>, ReLU, Conv2d<32, 32, 3, 2, 1>, ReLU,
               Upsample<2>, Conv2d<32, 32, 3, 1, 1>, ReLU, Upsample<2>, Conv2d<32, 3, 3, 1, 1>,
               Sigmoid>;

}  // namespace ctnn::models
