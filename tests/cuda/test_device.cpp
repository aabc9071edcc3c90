// The CUDA path against its CPU twin; skips cleanly where no GPU is present.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/cuda/device.h"

namespace forge {
namespace {

TEST(Cuda, AxpyMatchesCpu) {
  if (kernels::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device on this machine";
  const int64_t n = 100003;
  std::vector<float> x(n), y(n), expect(n);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = 0.001f * static_cast<float>(i % 977);
    y[i] = 1.0f - 0.002f * static_cast<float>(i % 131);
    expect[i] = y[i] + 2.5f * x[i];
  }
  kernels::cuda::axpy_host(n, 2.5f, x.data(), y.data());
  for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(y[i], expect[i]) << "at " << i;
}

}  // namespace
}  // namespace forge
