// The CUDA backend's entry points so far: device discovery and an axpy kernel
// with a CPU twin, the path later kernels (GEMM via cuBLASLt, attention, norms)
// follow. Callers include this header only in FORGE_CUDA builds.
#pragma once

#include <cstdint>

namespace forge::kernels::cuda {

// Number of usable CUDA devices; 0 when there is no driver or no GPU (never throws).
int device_count();

// y[i] += alpha * x[i] for n floats; x and y are host arrays, copied to device 0
// and back (a self-contained check that the device path computes).
void axpy_host(int64_t n, float alpha, const float* x, float* y);

}  // namespace forge::kernels::cuda
