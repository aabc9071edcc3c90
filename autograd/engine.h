// Runs a reverse-mode pass over the tape (see node.h).
#pragma once

#include <vector>

#include "autograd/tensor.h"

namespace forge::autograd {

// Back-propagates root_grads from roots through their graphs, accumulating into
// leaves' .grad and firing leaf hooks when each leaf's gradient is final.
// Nodes run in reverse creation order (a valid reverse topological order, and
// the one that makes late layers' gradients ready first). Runs with grad mode
// off. Unless retain_graph, saved tensors are freed as nodes finish.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads, bool retain_graph = false);

// Like backward, but the gradients reaching the leaves in `captured` are
// returned (in order; undefined where none arrived) instead of being added to
// their .grad; every other leaf accumulates as usual. Activation checkpointing
// uses it to get the gradients of a block's inputs while the block's parameters
// accumulate; gradient checks use it to read input gradients.
std::vector<Tensor> backward_capturing(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads,
                                       const std::vector<Tensor>& captured, bool retain_graph = false);

}  // namespace forge::autograd
