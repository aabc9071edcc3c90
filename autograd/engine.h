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

// Direct accumulation, for a backward that can add its gradient for a leaf input
// straight into the leaf's .grad (linear's weight: a GEMM with beta = 1 instead
// of a fresh gradient tensor plus an addition pass). Called from inside a
// node's backward, it returns the leaf's .grad when that is allowed (a backward
// pass is running on this thread, the leaf is not among its captured tensors,
// and .grad is a dense tensor of the leaf's shape and dtype), and otherwise an
// undefined tensor. A backward that gets a target must add its whole gradient
// for that input into it and return an undefined gradient for the input; the
// engine still runs the leaf's accumulator, so the leaf's hooks fire once its
// gradient is final, as usual.
Tensor direct_grad_target(const Tensor& leaf);

}  // namespace forge::autograd
