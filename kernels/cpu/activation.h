// Elementwise activation kernels on contiguous buffers of n elements, forward
// and fused backward: GELU (tanh approximation), SiLU and SwiGLU
// (silu(gate) * up). 16-bit inputs compute in fp32.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace forge::kernels::cpu {

// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
void gelu_forward(const void* x, void* y, int64_t n, DType dtype);
// dx = dy * gelu'(x).
void gelu_backward(const void* dy, const void* x, void* dx, int64_t n, DType dtype);

// y = x * sigmoid(x).
void silu_forward(const void* x, void* y, int64_t n, DType dtype);
void silu_backward(const void* dy, const void* x, void* dx, int64_t n, DType dtype);

// y = silu(gate) * up; all buffers the same length.
void swiglu_forward(const void* gate, const void* up, void* y, int64_t n, DType dtype);
// dgate = dy * up * silu'(gate), dup = dy * silu(gate). Either output may be null.
void swiglu_backward(const void* dy, const void* gate, const void* up, void* dgate, void* dup, int64_t n,
                     DType dtype);

}  // namespace forge::kernels::cpu
