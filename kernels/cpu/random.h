// Philox-driven random fills on the CPU: the kernels behind Tensor::randn and
// Tensor::uniform. Counter c gives values 2c and 2c + 1 (the last counter's
// second value is dropped for an odd count), so results depend only on the
// (seed, first counter) pair, never on the thread count.
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/types.h"

namespace forge::kernels::cpu {

// out: n contiguous elements of a floating dtype. normal: (a, b) = (mean, std),
// Box-Muller on 53-bit uniforms; uniform: values in [a, b).
void random_fill(RandomKind kind, void* out, DType dtype, int64_t n, uint64_t seed, uint64_t first_counter, double a,
                 double b);

}  // namespace forge::kernels::cpu
