// Fused AdamW / SGD updates and the sum of squares behind gradient clipping.
#include "kernels/cpu/optimizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/simd.h"

namespace forge::kernels::cpu {

void adamw_step(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n,
                const AdamWHyper& h) {
  const float decay = 1.0f - h.lr * h.weight_decay;
  const float b1 = h.beta1, b2 = h.beta2, one_b1 = 1.0f - h.beta1, one_b2 = 1.0f - h.beta2;
  const float step = h.lr / h.bias_correction1;
  const float inv_sqrt_bc2 = 1.0f / std::sqrt(h.bias_correction2);
  const float eps = h.eps;
#pragma omp parallel for simd schedule(static) if (n > kParallelRowElements)
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = b1 * m[i] + one_b1 * gi;
    const float vi = b2 * v[i] + one_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - step * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
  }
}

void sgd_step(float* __restrict p, const float* __restrict g, float* __restrict buf, int64_t n, float lr,
              float momentum, float weight_decay) {
  const float decay = 1.0f - lr * weight_decay;
  if (momentum == 0.0f || buf == nullptr) {
#pragma omp parallel for simd schedule(static) if (n > kParallelRowElements)
    for (int64_t i = 0; i < n; ++i) p[i] = p[i] * decay - lr * g[i];
    return;
  }
#pragma omp parallel for simd schedule(static) if (n > kParallelRowElements)
  for (int64_t i = 0; i < n; ++i) {
    const float b = momentum * buf[i] + g[i];
    buf[i] = b;
    p[i] = p[i] * decay - lr * b;
  }
}

double sum_squares(const float* x, int64_t n) {
  // Fixed-size chunks summed in a fixed order: the result is bitwise the same
  // for any thread count (an OpenMP reduction combines in arrival order).
  constexpr int64_t kChunk = 1 << 16;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t end = std::min(n, (c + 1) * kChunk);
    double s = 0.0;
    for (int64_t i = c * kChunk; i < end; ++i) s += static_cast<double>(x[i]) * x[i];
    partial[c] = s;
  }
  double total = 0.0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace forge::kernels::cpu
