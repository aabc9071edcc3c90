// Fused causal scaled-dot-product attention on the CPU: a tiled forward with an
// online softmax that keeps only the output and one logsumexp per query row,
// and a FlashAttention-2 style backward that recomputes the scores tile by tile
// (never materialising a T x T matrix). Supports multi-head and grouped-query
// attention (query head h reads kv head h / (Hq / Hkv)) and an optional
// per-token document id that restricts attention to keys of the same document.
// Buffers are f32 or f64 (16-bit inputs are converted by the caller), each
// either contiguous (B, H, T, D) or laid out as described by AttentionLayout,
// e.g. q, k and v read in place from a packed (B, T, 3 * H * D) projection.
// The forward is parallel over (batch, query head, query tile); the backward is
// parallel over (batch, kv head), each task owning its dK/dV and the dQ of its
// query heads, so results are bitwise identical for any thread count.
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/types.h"

namespace forge::kernels::cpu {

using kernels::AttentionDims;  // kernels/types.h
using kernels::AttentionLayout;
using kernels::AttentionTiles;
using kernels::HeadStrides;

// q: (B, Hq, T, D), k and v: (B, Hkv, T, D), doc_ids: (B, T) or null.
// out: (B, Hq, T, D); lse: (B, Hq, T) natural-log logsumexp of each row's
// scaled, masked scores. dtype is f32 or f64 for every buffer.
void attention_forward(DType dtype, const AttentionDims& dims, const void* q, const void* k, const void* v,
                       const int64_t* doc_ids, double scale, void* out, void* lse,
                       const AttentionTiles& tiles = AttentionTiles());
// The same with q, k, v and out placed as `layout` says (lse stays dense).
void attention_forward(DType dtype, const AttentionDims& dims, const AttentionLayout& layout, const void* q,
                       const void* k, const void* v, const int64_t* doc_ids, double scale, void* out, void* lse,
                       const AttentionTiles& tiles = AttentionTiles());

// dout, out: (B, Hq, T, D); lse: (B, Hq, T) from the forward. Writes (overwrites)
// dq: (B, Hq, T, D), dk and dv: (B, Hkv, T, D); dK/dV of a kv head sum over its
// query heads in a fixed order.
void attention_backward(DType dtype, const AttentionDims& dims, const void* q, const void* k, const void* v,
                        const int64_t* doc_ids, double scale, const void* out, const void* lse, const void* dout,
                        void* dq, void* dk, void* dv, const AttentionTiles& tiles = AttentionTiles());
// The same with every operand placed as `layout` says (lse stays dense).
void attention_backward(DType dtype, const AttentionDims& dims, const AttentionLayout& layout, const void* q,
                        const void* k, const void* v, const int64_t* doc_ids, double scale, const void* out,
                        const void* lse, const void* dout, void* dq, void* dk, void* dv,
                        const AttentionTiles& tiles = AttentionTiles());

}  // namespace forge::kernels::cpu
