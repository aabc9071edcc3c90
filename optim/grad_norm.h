// The global gradient norm of a model spread over several ranks (tensor and
// pipeline parallelism): every rank holds different parameters, or different
// pieces of them, plus some replicas (a tensor-parallel group's norm weights,
// GPT-2's tied embedding on the last pipeline stage). The norm counts each
// gradient element once: every rank sums the squares of the gradients it is
// told to count, and the sums are added over the model-parallel group. Sums
// travel as two floats per rank (high and low part) so they stay exact to
// double precision.
#pragma once

#include <vector>

#include "autograd/tensor.h"
#include "distributed/process_group.h"

namespace forge::optim {

// The sum over the members of `group` of each one's `value` (collective).
double sum_over_group(distributed::ProcessGroup& group, double value);

// Sum of squares of the gradients of `params` (those that have one).
double grad_sum_squares(const std::vector<Tensor>& params);

// Scales the gradients of `params` by max_norm / (norm + 1e-6) when
// max_norm > 0 and `norm` (their global norm) exceeds it.
void scale_grads_to_max_norm(const std::vector<Tensor>& params, double norm, double max_norm);

// Scales the gradients of `params` so that the global norm, sqrt of the sum
// over `group` of each rank's squares of its `counted` gradients, is at most
// max_norm (no clipping when max_norm <= 0). Returns the norm before clipping.
// Collective over `group`.
double clip_grad_norm(const std::vector<Tensor>& params, const std::vector<Tensor>& counted, double max_norm,
                      distributed::ProcessGroup& group);

}  // namespace forge::optim
