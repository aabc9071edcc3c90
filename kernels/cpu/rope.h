// Rotary position embedding kernel, Hugging Face Llama convention: each head
// vector of D values is split into halves x1 = x[:D/2], x2 = x[D/2:] and
//   y1 = x1 cos - x2 sin,   y2 = x2 cos + x1 sin,
// with angle pos * theta^(-2i/D) for i in [0, D/2). The inverse rotation (the
// backward) flips the sign of sin. cos/sin are tabulated once per call per
// (position row, t, i), in fp64 and stored in the accumulation type.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace forge::kernels::cpu {

// x: (B, H, T, D) with element strides x_strides[0..2] for B, H, T and unit
// stride along D; y: contiguous (B, H, T, D). positions: contiguous i64, (T)
// when !per_batch_positions, else (B, T). inverse: rotate by -angle.
void rope_apply(const void* x, const int64_t* x_strides, void* y, const int64_t* positions, bool per_batch_positions,
                int64_t B, int64_t H, int64_t T, int64_t D, double theta, bool inverse, DType dtype);

}  // namespace forge::kernels::cpu
