#pragma once
// The course's denoisers, from the library's model header, under the tests' short names.

#include "ctnn/models/noise2noise.hpp"

namespace ctnn::test {
template <class T = float>
using InitialModel = models::InitialDenoiser<T>;
template <class T = float>
using FinalModel = models::FinalDenoiser<T>;
}  // namespace ctnn::test
