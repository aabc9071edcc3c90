// Matrix products on BLAS: matmul (with batching/broadcast of leading dims),
// linear, and embedding lookup.
//
// f32 uses sgemm, f64 dgemm. bf16/f16 inputs are widened to fp32 tile by tile
// and multiplied with sgemm (Debian's OpenBLAS 0.3.21 ships no sbgemm); that is
// numerically an sbgemm with fp32 accumulation. The result is rounded once. Non-contiguous operands whose last two
// dims are a transposed contiguous matrix are passed to BLAS without a copy.
#pragma once

#include "autograd/tensor.h"

namespace forge::ops {

// a: (..., M, K), b: (..., K, N) -> (..., M, N); leading dims broadcast.
// 1-d operands are not accepted (use reshape) to keep shapes explicit.
Tensor matmul(const Tensor& a, const Tensor& b);

// x: (..., in), weight: (out, in) [PyTorch nn.Linear layout], bias: (out) or undefined.
// -> (..., out). One GEMM over all leading dims.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ids: integer tensor (i32 or i64) of any shape, weight: (V, C) -> (*ids.shape, C).
// Ids outside [0, V) raise forge::Error naming the id and its position.
// Backward scatter-adds into a (V, C) gradient.
Tensor embedding(const Tensor& ids, const Tensor& weight);

}  // namespace forge::ops
