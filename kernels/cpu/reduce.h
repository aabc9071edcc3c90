// Reduction CPU kernels: strided sum (and scaled sum, for mean) over any set of
// dims, and max over one dim with its index, plus max's backward scatter.
// Floating dtypes only. Accumulation is in fp64 for f64 and fp32 otherwise,
// blocked (16 lanes, then blocks, then fixed-size chunks) so long rows keep
// their accuracy; results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace forge::kernels::cpu {

// out[k] = scale * sum_r x[k, r]. x is described by its kept dims (kept_shape,
// kept_strides: the output's dims, in order) and its reduced dims (red_shape,
// red_strides); strides in elements. out is contiguous over the kept dims.
void sum_strided(DType dtype, const void* x, const int64_t* kept_shape, const int64_t* kept_strides, int nkept,
                 const int64_t* red_shape, const int64_t* red_strides, int nred, void* out, double scale = 1.0);

// x: contiguous (outer, n, inner), n >= 1. values: (outer, inner) in x's dtype;
// indices: (outer, inner) i64, the first position of the maximum along n.
void max_dim(DType dtype, const void* x, int64_t outer, int64_t n, int64_t inner, void* values, int64_t* indices);

// gx: contiguous (outer, n, inner), already zeroed; g: (outer, inner) contiguous;
// gx[o, indices[o, i], i] = g[o, i].
void max_dim_backward(DType dtype, const void* g, const int64_t* indices, int64_t outer, int64_t n, int64_t inner,
                      void* gx);

}  // namespace forge::kernels::cpu
