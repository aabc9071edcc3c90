// Embedding lookup on the CPU: validating token ids, gathering rows of a
// (V, C) table, and the deterministic scatter-add that is its backward.
//
// The backward groups positions by token id (a stable counting sort), then
// computes every vocabulary row independently, summing its positions in
// increasing order (in fp32 for 16-bit dtypes). The result is bit-identical for
// any thread count, and rows no id touches come out zero.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace forge::kernels::cpu {

// ids: n integers of id_dtype (i32 or i64), contiguous. Returns the position of
// the first id outside [0, vocab), or -1 when all are valid.
int64_t embedding_first_invalid(const void* ids, DType id_dtype, int64_t n, int64_t vocab);

// Reads ids[i] as an int64.
int64_t embedding_id_at(const void* ids, DType id_dtype, int64_t i);

// out (n, C) contiguous <- weight rows; weight (V, C) has row stride ld and
// unit column stride. Ids must be valid.
void embedding_forward(const void* ids, DType id_dtype, int64_t n, const void* weight, DType dtype, int64_t channels,
                       int64_t ld, void* out);

// grad_weight (V, C) contiguous = sum over positions i with ids[i] == v of
// grad_out[i, :] (grad_out (n, C) contiguous). Writes every row (zeros included).
void embedding_backward(const void* ids, DType id_dtype, int64_t n, const void* grad_out, DType dtype, int64_t vocab,
                        int64_t channels, void* grad_weight);

}  // namespace forge::kernels::cpu
