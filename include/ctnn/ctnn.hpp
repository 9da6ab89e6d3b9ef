#pragma once
/// \file
/// The umbrella header: everything a network needs.

#include "ctnn/core/batch.hpp"
#include "ctnn/core/chain.hpp"
#include "ctnn/core/error.hpp"
#include "ctnn/core/init.hpp"
#include "ctnn/core/layer.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/core/shape.hpp"
#include "ctnn/layers/conv2d.hpp"
#include "ctnn/layers/conv_transpose2d.hpp"
#include "ctnn/layers/relu.hpp"
#include "ctnn/layers/sigmoid.hpp"
#include "ctnn/layers/skip_concat.hpp"
#include "ctnn/layers/upsample.hpp"
#include "ctnn/loss/mse.hpp"
#include "ctnn/optim/adam.hpp"
#include "ctnn/optim/sgd.hpp"
#include "ctnn/sequential.hpp"
