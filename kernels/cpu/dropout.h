// Inverted-dropout kernel driven by counter-based Philox: the keep/drop
// decision for element i is a pure function of (seed, first_counter, i), so
// forward and backward (which regenerates the mask) agree exactly on any
// thread count, and nothing but two integers is saved between them.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace forge::kernels::cpu {

// Elements per Philox counter (one 32-bit word each).
constexpr int64_t kDropoutElemsPerCounter = 4;
// Counters dropout over n elements consumes (reserve this many from the generator).
inline uint64_t dropout_counters(int64_t n) {
  return static_cast<uint64_t>((n + kDropoutElemsPerCounter - 1) / kDropoutElemsPerCounter);
}

// y[i] = keep(i) ? x[i] / (1 - p) : 0, where element i uses word i % 4 of
// philox4x32(first_counter + i / 4, seed) and is kept when its top 24 bits, as
// a uniform u in [0, 1), satisfy u >= p. The backward applies the same call to dy.
// x, y: n contiguous elements (may alias).
void dropout_apply(const void* x, void* y, int64_t n, double p, uint64_t seed, uint64_t first_counter, DType dtype);

}  // namespace forge::kernels::cpu
