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

namespace forge::kernels::cpu {

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
  static AttentionLayout contiguous(const AttentionDims& dims);
};

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
