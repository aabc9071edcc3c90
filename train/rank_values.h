// Exact scalars across the ranks of a dp x tp x pp layout (distributed/layout.h):
// the loss and validation loss must be the same double, to the bit, on every
// rank and under every layout, so they travel through the f32 collectives as
// float pairs and are summed in rank order.
#pragma once

#include "autograd/tensor.h"
#include "distributed/layout.h"

namespace forge::recipes {

// A double as two floats (its float rounding and the rest), ~48 bits kept;
// float_pair_value joins them.
void to_float_pair(double value, float* pair);
double float_pair_value(const float* pair);

// The mean over the dp ranks of a per-rank value. Collective over dp.
double global_mean(const distributed::Layout& layout, double value);

// `value` of the last pipeline stage, on every stage. Collective over pp.
double from_last_stage(const distributed::Layout& layout, double value);

// True on every rank when `flag` is true on any (a stop signal may reach the
// ranks at different steps; they must stop after the same one). Collective.
bool any_rank(const distributed::Layout& layout, bool flag);

// Weight of this dp rank's mean loss so that averaging the ranks' gradients gives
// the gradient of the mean over every trained token of the global micro-batch:
// dp * (this rank's trained tokens) / (all ranks' trained tokens). `targets`
// marks untrained tokens with -100. Collective over dp.
double dp_loss_weight(const distributed::Layout& layout, const Tensor& targets);

}  // namespace forge::recipes
