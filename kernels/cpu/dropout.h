// Inverted-dropout kernel driven by counter-based Philox: the keep/drop
// decision for element i is a pure function of (seed, first_counter, i), so
// forward and backward (which regenerates the mask) agree exactly on any
// thread count, and nothing but two integers is saved between them.
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/types.h"

namespace forge::kernels::cpu {

using kernels::dropout_counters;  // kernels/types.h
using kernels::kDropoutElemsPerCounter;

// y[i] = keep(i) ? x[i] / (1 - p) : 0, where element i uses word i % 4 of
// philox4x32(first_counter + i / 4, seed) and is kept when its top 24 bits, as
// a uniform u in [0, 1), satisfy u >= p. The backward applies the same call to dy.
// x, y: n contiguous elements (may alias).
void dropout_apply(const void* x, void* y, int64_t n, double p, uint64_t seed, uint64_t first_counter, DType dtype);

}  // namespace forge::kernels::cpu
