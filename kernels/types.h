// Argument types every device's kernels share: the operation kinds of the
// elementwise kernels, the attention problem description, the AdamW
// hyper-parameters and the cross-entropy result. They live here, not in a
// device's headers, so that the per-device kernel table (kernels/backend.h)
// and a CUDA implementation of it can name them without including the CPU's.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace forge::kernels {

// ---- elementwise ----------------------------------------------------------

enum class BinaryKind {
  add,         // a + b
  sub,         // a - b
  mul,         // a * b
  div,         // a / b
  pow,         // a ^ b
  add_scaled,  // a + alpha * b
};

enum class UnaryKind {
  neg,
  exp,
  log,
  sqrt,
  rsqrt,
  tanh,
  add_scalar,   // x + s
  mul_scalar,   // x * s
  pow_scalar,   // x ^ s
  rsub_scalar,  // s - x
};

// ---- norms and cross-entropy ------------------------------------------------

// Dtype of the per-row statistics (norm mean/rstd, cross-entropy logsumexp)
// saved for inputs of `dtype`: fp32 for 16-bit and fp32 inputs, fp64 for f64.
inline DType norm_stats_dtype(DType dtype) { return dtype == DType::f64 ? DType::f64 : DType::f32; }

struct CrossEntropyResult {
  double loss_sum = 0;  // sum over counted rows of lse - logit[target], in fixed row order
  int64_t count = 0;    // rows whose target != ignore_index
};

// ---- random numbers ------------------------------------------------------------

enum class RandomKind {
  normal,   // parameters (mean, std): Box-Muller on 53-bit uniforms
  uniform,  // parameters (low, high)
};

// ---- dropout ------------------------------------------------------------------

// Elements per Philox counter (one 32-bit word each).
constexpr int64_t kDropoutElemsPerCounter = 4;

// Counters dropout over n elements consumes (reserve this many from the generator).
inline uint64_t dropout_counters(int64_t n) {
  return static_cast<uint64_t>((n + kDropoutElemsPerCounter - 1) / kDropoutElemsPerCounter);
}

// ---- attention ------------------------------------------------------------------

struct AttentionDims {
  int64_t batch = 0;
  int64_t q_heads = 0;
  int64_t kv_heads = 0;
  int64_t seq = 0;       // T
  int64_t head_dim = 0;  // D
};

// Tile sizes (queries x keys). 64 x 64 is the fast path for D = 64; any positive
// sizes work (tests use small ones to exercise partial tiles).
struct AttentionTiles {
  int64_t q = 64;
  int64_t k = 64;
};

// Element strides of one (B, H, T, D) operand whose D elements are contiguous:
// element (b, h, t, d) is at b * batch + h * head + t * row + d.
struct HeadStrides {
  int64_t batch = 0;
  int64_t head = 0;
  int64_t row = 0;

  // A dense (B, heads, T, D) buffer.
  static HeadStrides contiguous(int64_t heads, int64_t seq, int64_t head_dim) {
    return {heads * seq * head_dim, seq * head_dim, head_dim};
  }
};

// Where each operand's elements are. q, dq, out, dout have the query heads,
// k, v, dk, dv the kv heads. Output operands must not overlap each other or
// the inputs (dq, dk, dv may interleave within rows, e.g. one packed gradient).
struct AttentionLayout {
  HeadStrides q, k, v, out;       // forward
  HeadStrides dout, dq, dk, dv;   // backward only

  static AttentionLayout contiguous(const AttentionDims& dims) {
    const HeadStrides qs = HeadStrides::contiguous(dims.q_heads, dims.seq, dims.head_dim);
    const HeadStrides ks = HeadStrides::contiguous(dims.kv_heads, dims.seq, dims.head_dim);
    return {qs, ks, ks, qs, qs, qs, ks, ks};
  }
};

// ---- optimizers -------------------------------------------------------------------

struct AdamWHyper {
  float lr, beta1, beta2, eps, weight_decay;
  float bias_correction1, bias_correction2;  // 1 - beta^t
};

}  // namespace forge::kernels
