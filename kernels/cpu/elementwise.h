// Elementwise CPU kernels over strided, broadcast operands: binary arithmetic,
// unary math and scalar forms, the u8-conditioned select behind where() and
// masked_fill(), and strided fill. Every operand is described by a pointer to
// its first element plus per-dim strides (in elements) over the common shape;
// a broadcast dim has stride 0. Output may itself be a strided view (in-place
// updates). Dims contiguous in every operand are merged first, so the common
// cases (same-shape contiguous, (.., C) + (C) bias, (N, C) * (N, 1) row scale)
// run as plain vectorisable inner loops. 16-bit floats compute in fp32.
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/types.h"

namespace forge::kernels::cpu {

using kernels::BinaryKind;  // kernels/types.h
using kernels::UnaryKind;

// out = a (kind) b over `shape` (ndim dims); all operands have `dtype`.
// add/sub/mul/add_scaled accept every dtype; div/pow need a floating dtype.
void binary(BinaryKind kind, DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides,
            const void* a, const int64_t* a_strides, const void* b, const int64_t* b_strides, double alpha = 1.0);

// out = f(x) with scalar parameter s where the kind takes one. neg, add_scalar and
// mul_scalar accept every dtype; the rest need a floating dtype.
void unary(UnaryKind kind, DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides,
           const void* x, const int64_t* x_strides, double s = 0.0);

// out = cond != 0 ? a : b; cond is u8, a, b and out share `dtype` (any dtype).
void select(DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides, const uint8_t* cond,
            const int64_t* cond_strides, const void* a, const int64_t* a_strides, const void* b,
            const int64_t* b_strides);

// Writes `value` (converted) into every element of a strided view.
void fill_strided(DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides, double value);

}  // namespace forge::kernels::cpu
