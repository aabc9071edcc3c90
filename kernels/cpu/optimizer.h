// Fused optimizer updates over contiguous fp32 ranges (one pass over memory per step).
#pragma once

#include <cstdint>

#include "kernels/types.h"

namespace forge::kernels::cpu {

using kernels::AdamWHyper;  // kernels/types.h

// p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p), PyTorch's AdamW order:
// decay first (p *= 1 - lr*wd), then m, v and the Adam step.
void adamw_step(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n,
                const AdamWHyper& h);

// SGD with momentum (PyTorch convention: buf = mu * buf + g; p -= lr * buf) and
// decoupled weight decay. momentum_buf may be null when mu == 0.
void sgd_step(float* __restrict p, const float* __restrict g, float* __restrict momentum_buf, int64_t n, float lr,
              float momentum, float weight_decay);

// Sum of squares in double (for the global gradient norm).
double sum_squares(const float* x, int64_t n);

}  // namespace forge::kernels::cpu
