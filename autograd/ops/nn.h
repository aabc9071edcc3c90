// The fused neural-network ops: norms, activations, softmax, cross-entropy,
// dropout and rotary embeddings. Each is one kernel forward and one backward
// (not a chain of primitives), with fp32 statistics for 16-bit inputs.
#pragma once

#include <cstdint>

#include "autograd/tensor.h"
#include "common/philox.h"

namespace forge::ops {

// Over the last dim. x: (..., C), weight/bias: (C) (either may be undefined).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps = 1e-6);

// GELU, tanh approximation (GPT-2's): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
Tensor gelu(const Tensor& x);
Tensor silu(const Tensor& x);
// swiglu(gate, up) = silu(gate) * up (Llama's MLP), fused.
Tensor swiglu(const Tensor& gate, const Tensor& up);

// Over dimension `dim` (default last).
Tensor softmax(const Tensor& x, int64_t dim = -1);
Tensor log_softmax(const Tensor& x, int64_t dim = -1);

// logits: (N, V) (or (..., V), flattened), targets: i32/i64 of shape (N) (or (...)).
// Mean over targets != ignore_index (0 when none counted): an fp32 scalar
// (f64 for f64 logits), also for 16-bit logits, whose gradient stays 16-bit. Fused with
// log-softmax: the forward keeps only per-row logsumexp; the backward writes
// softmax - onehot straight into the single gradient buffer.
// Targets outside [0, V) (other than ignore_index) raise forge::Error.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index = -100);

// Inverted dropout: zeroes each element with probability p and scales the rest
// by 1/(1-p). The mask comes from `gen` (counter-based), so the same generator
// state reproduces it exactly; backward regenerates the mask instead of saving it.
// p == 0 or !training returns x unchanged.
Tensor dropout(const Tensor& x, double p, Generator& gen, bool training = true);

// Rotary position embedding, Hugging Face Llama convention (rotate halves):
// x: (B, H, T, D) with D even; positions: i64 (T) or (B, T) (position of each
// token, e.g. restarting per packed document); theta base `rope_theta`.
// out[..., :D/2] = x1 cos - x2 sin, out[..., D/2:] = x2 cos + x1 sin,
// with angle pos * theta^(-2i/D) for i in [0, D/2).
Tensor rope(const Tensor& x, const Tensor& positions, double rope_theta = 10000.0);

}  // namespace forge::ops
