// Softmax and log-softmax kernels over one dimension of a contiguous buffer
// viewed as (outer, n, inner): the reduced dim has n entries spaced `inner`
// apart. inner == 1 (the last dim) is the common, fastest case; for inner > 1
// the kernel sweeps whole (n, inner) slabs so inner loops stay contiguous.
// Statistics are fp32 for 16-bit inputs, fp64 for f64.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace forge::kernels::cpu {

// x, y: (outer, n, inner). log: write log_softmax instead of softmax.
void softmax_forward(const void* x, void* y, int64_t outer, int64_t n, int64_t inner, bool log, DType dtype);
// From the forward output y and upstream dy:
//   softmax:     dx = y * (dy - sum(dy * y))
//   log_softmax: dx = dy - exp(y) * sum(dy)
void softmax_backward(const void* dy, const void* y, void* dx, int64_t outer, int64_t n, int64_t inner, bool log,
                      DType dtype);

}  // namespace forge::kernels::cpu
