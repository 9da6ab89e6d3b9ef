#pragma once
// The course's denoisers as ctnn types, shared by the tests.

#include "ctnn/ctnn.hpp"

namespace ctnn::test {

/// The course's initial model: 4 layers, 32 channels, stride 1, no padding (32->30->28->30->32).
template <class T = float>
using InitialModel = Sequential<Input<3, 32, 32, T>, Conv2d<3, 32, 3>, ReLU, Conv2d<32, 32, 3>, ReLU,
                                ConvTranspose2d<32, 32, 3>, ReLU, ConvTranspose2d<32, 3, 3>, Sigmoid>;

/// The course's final model: 100 channels with a skip concatenation.
template <class T = float>
using FinalModel =
    Sequential<Input<3, 32, 32, T>, Conv2d<3, 100, 3>, ReLU,
               SkipConcat<Conv2d<100, 100, 3>, ReLU, ConvTranspose2d<100, 100, 3>, ReLU>,
               ConvTranspose2d<200, 3, 3>, Sigmoid>;

}  // namespace ctnn::test
