// Row-wise LayerNorm and RMSNorm kernels over the last dim of a contiguous
// (rows, C) buffer, forward and fused backward. Statistics are fp32 for 16-bit
// and fp32 inputs and fp64 for f64 (the `stats` buffers hold acc_t values:
// float, or double when dtype is f64). weight/bias pointers may be null.
// Backward reductions over rows (dweight, dbias) are deterministic for any
// thread count: rows are split into a fixed number of chunks whose partial
// sums are combined in chunk order.
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/types.h"

namespace forge::kernels::cpu {

using kernels::norm_stats_dtype;  // kernels/types.h

// x, y: (rows, C); weight, bias: (C) or null; mean, rstd: (rows) of norm_stats_dtype.
void layer_norm_forward(const void* x, const void* weight, const void* bias, void* y, void* mean, void* rstd,
                        int64_t rows, int64_t C, double eps, DType dtype);
// dy, x, dx: (rows, C); weight: (C) or null; dweight, dbias: (C) or null (not wanted).
void layer_norm_backward(const void* dy, const void* x, const void* weight, const void* mean, const void* rstd,
                         void* dx, void* dweight, void* dbias, int64_t rows, int64_t C, DType dtype);

// y = x / sqrt(mean(x^2) + eps) * weight. rstd: (rows) of norm_stats_dtype.
void rms_norm_forward(const void* x, const void* weight, void* y, void* rstd, int64_t rows, int64_t C, double eps,
                      DType dtype);
void rms_norm_backward(const void* dy, const void* x, const void* weight, const void* rstd, void* dx, void* dweight,
                       int64_t rows, int64_t C, DType dtype);

}  // namespace forge::kernels::cpu
