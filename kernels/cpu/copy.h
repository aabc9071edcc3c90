// Strided copy with element-type conversion, and fill: the primitives behind
// contiguous(), clone(), to(dtype) and the tensor factories.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace forge::kernels::cpu {

// Copies an n-d strided view into another (shapes equal; strides in elements),
// converting dtypes. Parallel over the outer elements.
void copy_strided(void* dst, DType dst_dtype, const int64_t* dst_strides, const void* src, DType src_dtype,
                  const int64_t* src_strides, const int64_t* shape, int ndim);

// Writes `value` (converted) into n contiguous elements.
void fill(void* dst, DType dtype, int64_t n, double value);

}  // namespace forge::kernels::cpu
