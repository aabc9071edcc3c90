// Reductions over dimensions (sum, mean, max), sum_to (the backward of
// broadcasting), and concat/split. fp32 accumulation for 16-bit inputs,
// fp64 for f64.
#pragma once

#include <vector>

#include "autograd/tensor.h"

namespace forge::ops {

// dims empty = all dims. Negative dims count from the end.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Max over one dim; gradient flows to the first maximal element.
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false);
// Same, also returning the indices (i64) of the maxima (no gradient).
std::pair<Tensor, Tensor> max_with_indices(const Tensor& x, int64_t dim, bool keepdim = false);

// Sums x down to `shape` (x's shape must broadcast-expand from shape).
Tensor sum_to(const Tensor& x, const Shape& shape);

Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
// Splits dim into pieces of the given sizes (they must add up to x.size(dim)).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);

}  // namespace forge::ops
