// Device discovery and the axpy kernel declared in device.h.
#include "kernels/cuda/check.h"
#include "kernels/cuda/device.h"

namespace forge::kernels::cuda {
namespace {

__global__ void axpy_kernel(int64_t n, float alpha, const float* __restrict__ x, float* __restrict__ y) {
  int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) y[i] += alpha * x[i];
}

}  // namespace

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

void axpy_host(int64_t n, float alpha, const float* x, float* y) {
  float *dx = nullptr, *dy = nullptr;
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  FORGE_CUDA_CHECK(cudaMalloc(&dx, bytes));
  FORGE_CUDA_CHECK(cudaMalloc(&dy, bytes));
  FORGE_CUDA_CHECK(cudaMemcpy(dx, x, bytes, cudaMemcpyHostToDevice));
  FORGE_CUDA_CHECK(cudaMemcpy(dy, y, bytes, cudaMemcpyHostToDevice));
  const int threads = 256;
  const int64_t blocks = (n + threads - 1) / threads;
  axpy_kernel<<<static_cast<unsigned>(blocks), threads>>>(n, alpha, dx, dy);
  FORGE_CUDA_CHECK(cudaGetLastError());
  FORGE_CUDA_CHECK(cudaMemcpy(y, dy, bytes, cudaMemcpyDeviceToHost));
  FORGE_CUDA_CHECK(cudaFree(dx));
  FORGE_CUDA_CHECK(cudaFree(dy));
}

}  // namespace forge::kernels::cuda
