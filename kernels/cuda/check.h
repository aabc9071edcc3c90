// FORGE_CUDA_CHECK: every CUDA runtime call goes through it, so a failure
// reports the file, the line and CUDA's own message as a forge::Error.
#pragma once

#include <cuda_runtime.h>

#include "common/error.h"

#define FORGE_CUDA_CHECK(call)                                                          \
  do {                                                                                  \
    cudaError_t forge_cuda_err_ = (call);                                               \
    FORGE_CHECK(forge_cuda_err_ == cudaSuccess, "CUDA error at " << __FILE__ << ":"     \
                                                  << __LINE__ << ": " << #call << ": " \
                                                  << cudaGetErrorString(forge_cuda_err_)); \
  } while (0)
