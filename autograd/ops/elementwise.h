// Elementwise ops with NumPy-style broadcasting, and the in-place updates
// optimizers and gradient accumulation use.
//
// Binary ops broadcast their inputs (trailing dims aligned, size-1 dims
// stretched), accept non-contiguous views without copying, and require equal
// dtypes and devices (forge::Error naming the op and both shapes otherwise).
// Results are fresh contiguous tensors. 16-bit floats compute in fp32.
#pragma once

#include "autograd/tensor.h"

namespace forge::ops {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);

// Scalar forms: x op s.
Tensor add_scalar(const Tensor& x, double s);
Tensor mul_scalar(const Tensor& x, double s);
Tensor pow_scalar(const Tensor& x, double exponent);  // x^p
Tensor rsub_scalar(const Tensor& x, double s);        // s - x

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor pow(const Tensor& a, const Tensor& b);  // a^b, broadcasting

// where(cond, a, b): cond is u8 (nonzero = take a); all three broadcast.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// masked_fill(x, mask, v): v where mask (u8) is nonzero; mask broadcasts to x.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

// In-place, no autograd (for optimizers, grad accumulation, parameter init).
// `a` may be a strided view; `b` broadcasts to a's shape.
void add_(Tensor& a, const Tensor& b, double alpha = 1.0);  // a += alpha * b
void mul_scalar_(Tensor& a, double s);                       // a *= s
void fill_(Tensor& a, double value);

}  // namespace forge::ops

namespace forge {
// Operator sugar over the ops above.
inline Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return ops::sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return ops::mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return ops::div(a, b); }
inline Tensor operator-(const Tensor& x) { return ops::neg(x); }
inline Tensor operator+(const Tensor& a, double s) { return ops::add_scalar(a, s); }
inline Tensor operator*(const Tensor& a, double s) { return ops::mul_scalar(a, s); }
inline Tensor operator*(double s, const Tensor& a) { return ops::mul_scalar(a, s); }
}  // namespace forge
