// Fused softmax cross-entropy kernels over contiguous logits (rows, V) with
// integer targets (rows) of dtype i32 or i64. The forward keeps only the
// per-row logsumexp (fp32 for 16-bit/fp32 logits, fp64 for f64); the backward
// writes (softmax - onehot) * scale straight into one (rows, V) buffer.
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/types.h"

namespace forge::kernels::cpu {

// Index of the first target outside [0, V) that is not ignore_index, or -1.
int64_t cross_entropy_find_invalid_target(const void* targets, DType target_dtype, int64_t rows, int64_t V,
                                          int64_t ignore_index);

using kernels::CrossEntropyResult;  // kernels/types.h

// logits: (rows, V); targets: (rows); lse: (rows) of f32 (f64 when dtype is f64).
// One pass over each row (online max and sum). Targets must be valid.
CrossEntropyResult cross_entropy_forward(const void* logits, const void* targets, DType target_dtype, void* lse,
                                         int64_t rows, int64_t V, int64_t ignore_index, DType dtype);

// dlogits[r, v] = (exp(logits[r, v] - lse[r]) - [v == target[r]]) * scale; rows
// whose target is ignore_index get zeros.
void cross_entropy_backward(const void* logits, const void* targets, DType target_dtype, const void* lse,
                            void* dlogits, int64_t rows, int64_t V, int64_t ignore_index, double scale, DType dtype);

}  // namespace forge::kernels::cpu
