// Fused causal scaled-dot-product attention (multi-head and grouped-query).
//
// Tiled with an online softmax: memory is O(T) per head (the forward saves the
// output and one logsumexp per query row, never the T x T scores), and the
// backward recomputes scores tile by tile.
#pragma once

#include "autograd/tensor.h"

namespace forge::ops {

// q: (B, Hq, T, D), k and v: (B, Hkv, T, D) with Hq % Hkv == 0 (query head h
// reads kv head h / (Hq / Hkv)). Causal: query t attends to keys 0..t.
// scale defaults to 1/sqrt(D) when <= 0.
// doc_ids (optional, i32/i64 of shape (B, T)): when given, query t attends only
// to keys s <= t with doc_ids[b, s] == doc_ids[b, t] (packed sequences).
// -> (B, Hq, T, D).
// The output's memory is token-major, (B, T, Hq, D): y.transpose(1, 2) is a
// contiguous (B, T, Hq, D) tensor and merging the heads costs no copy.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale = 0.0,
                 const Tensor& doc_ids = Tensor());

// Multi-head attention straight from a fused projection: qkv (B, T, 3 * H * D)
// holds q | k | v, each (H, D) per token (GPT-2's c_attn output). Equal to
// attention(q, k, v) on the split heads, merged back to (B, T, H * D), but with
// no copies: the kernel reads the packed rows in place and the backward writes
// d(qkv) as one (B, T, 3 * H * D) buffer.
Tensor attention_packed(const Tensor& qkv, int64_t heads, double scale = 0.0, const Tensor& doc_ids = Tensor());

}  // namespace forge::ops
