// View and layout ops: results share storage with their input where possible.
// Each is differentiable; Tensor's methods of the same names forward here.
#pragma once

#include "autograd/tensor.h"

namespace forge::ops {

Tensor view(const Tensor& x, Shape shape);      // x contiguous; one entry may be -1
Tensor reshape(const Tensor& x, Shape shape);   // view if contiguous, else copy
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor expand(const Tensor& x, const Shape& shape);  // broadcast size-1 dims (and new leading dims)
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor contiguous(const Tensor& x);  // x itself when already contiguous
Tensor clone(const Tensor& x);       // always a fresh contiguous copy
Tensor to_dtype(const Tensor& x, DType dtype);
// to_dtype(x, cached.dtype()) when `cached` already holds that result (the
// caller keeps it up to date, as mixed precision's working weights do): a view
// of cached's storage, differentiable like to_dtype (the gradient reaches x
// converted to x's dtype). Shapes must match.
Tensor to_dtype_cached(const Tensor& x, const Tensor& cached);

// Copies src into the (possibly strided) view dst, converting dtype; no autograd.
void copy_(const Tensor& dst, const Tensor& src);

// Normalises a possibly negative dim against ndim, with an error naming `op`.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim);

}  // namespace forge::ops
