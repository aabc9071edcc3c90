// Activation checkpointing: trade compute for memory on a block of the model.
//
// checkpoint(fn, inputs) runs fn without recording the tape, so none of the
// block's intermediate activations are kept; only its inputs are saved. In
// backward the block is run again with recording on and back-propagated
// through, giving the inputs' gradients; parameters used inside fn accumulate
// their gradients (and fire their hooks) as usual.
#pragma once

#include <functional>
#include <vector>

#include "autograd/tensor.h"
#include "common/philox.h"

namespace forge::autograd {

using BlockFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& inputs)>;

// `rngs`: generators fn draws from (e.g. dropout). Their state at the forward is
// restored for the recomputation, so it sees exactly the same random numbers;
// afterwards they continue from where the forward left them.
std::vector<Tensor> checkpoint(const BlockFn& fn, const std::vector<Tensor>& inputs,
                               const std::vector<Generator*>& rngs = {});

}  // namespace forge::autograd
