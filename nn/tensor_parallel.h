// Megatron-style tensor-parallel layers and the autograd-aware collectives
// they are built from. A layer is given the tensor-parallel process group and
// holds its rank's piece of the weight (nn::ShardSpec says which); a group of
// one is exactly the single-device layer (same ops, no communication), so the
// model code is the same for every tp.
//
// - ColumnParallelLinear: the output features are split; x (replicated) ->
//   this rank's output columns. Backward all-reduces the input gradient.
// - RowParallelLinear: the input features are split; x (this rank's columns)
//   -> partial products all-reduced into the whole output, then the
//   (replicated) bias.
// - VocabParallelEmbedding: the vocabulary rows are split; each rank looks up
//   the ids in its range (zero elsewhere) and the results are all-reduced.
// - vocab_parallel_cross_entropy: the mean cross-entropy of logits whose
//   vocabulary is split across the group. No rank holds whole logits: the row
//   max (all-gather of per-rank maxima), the sum of exponentials and the
//   target logit are combined across ranks; backward needs no communication.
//
// Weights are initialised by drawing the whole tensor from the model's
// generator, exactly as the single-device layer does, and keeping this rank's
// piece: every layout starts from the single-process weights.
#pragma once

#include <memory>
#include <vector>

#include "common/philox.h"
#include "distributed/process_group.h"
#include "nn/module.h"

namespace forge::nn {

using GroupPtr = std::shared_ptr<distributed::ProcessGroup>;

// Identity forward, all-reduce (sum) of the gradient backward. `x` enters a
// region where each rank computes a different part of the result from it.
Tensor copy_to_group(const Tensor& x, const GroupPtr& group);
// All-reduce (sum) forward, identity backward: the ranks' partial results
// become the whole one.
Tensor reduce_from_group(const Tensor& x, const GroupPtr& group);

// The spec of a tensor split along `dim` into `segments` (whole sizes), each
// cut into group-size pieces, this rank holding piece group-rank. A null group
// or a group of one gives the spec of a whole tensor.
ShardSpec split_spec(int64_t dim, std::vector<int64_t> segments, const GroupPtr& group);
// This rank's piece of `whole` (a fresh contiguous tensor); `whole` itself when not sharded.
Tensor shard_of(const Tensor& whole, const ShardSpec& spec);
// The whole tensor from every rank's piece (pieces in part order).
Tensor whole_from_pieces(const std::vector<Tensor>& pieces, const ShardSpec& spec);
// The whole tensor from this rank's piece: all-gather over `group` (collective
// when spec is sharded; `local` itself otherwise).
Tensor gather_whole(const Tensor& local, const ShardSpec& spec, distributed::ProcessGroup& group);

class ColumnParallelLinear : public Module {
 public:
  // Whole weight (sum(out_segments), in) ~ N(0, init_std), bias zero; each
  // output segment is split across the group (GPT-2's fused q|k|v: three).
  ColumnParallelLinear(int64_t in_features, std::vector<int64_t> out_segments, bool bias, Generator& gen,
                       double init_std, GroupPtr group);
  Tensor forward(const Tensor& x) const;  // x: (..., in) -> (..., out / tp)
  int64_t local_out_features() const { return weight.size(0); }
  Tensor weight, bias;

 private:
  GroupPtr group_;
};

class RowParallelLinear : public Module {
 public:
  RowParallelLinear(int64_t in_features, int64_t out_features, bool bias, Generator& gen, double init_std,
                    GroupPtr group);
  Tensor forward(const Tensor& x) const;  // x: (..., in / tp) -> (..., out)
  Tensor weight, bias;

 private:
  GroupPtr group_;
};

class VocabParallelEmbedding : public Module {
 public:
  // `duplicate`: this is a second copy of a weight another pipeline stage holds (ShardSpec::duplicate).
  VocabParallelEmbedding(int64_t num_embeddings, int64_t dim, Generator& gen, GroupPtr group,
                         bool duplicate = false, double init_std = 0.02);
  Tensor forward(const Tensor& ids) const;  // ids: (...) -> (..., dim)
  int64_t vocab_start() const { return vocab_start_; }
  Tensor weight;  // (num_embeddings / tp, dim): rows vocab_start ... of the whole table

 private:
  GroupPtr group_;
  int64_t vocab_start_ = 0;
};

// x (replicated) times this rank's vocabulary rows of `weight` (V / tp, C):
// (..., C) -> (..., V / tp). The LM head over a vocab-parallel weight.
Tensor parallel_linear(const Tensor& x, const Tensor& weight, const GroupPtr& group);

// Mean cross-entropy over targets != ignore_index of logits (N, V / tp) whose
// columns are vocabulary ids vocab_start ... (this rank's piece); targets (N)
// hold whole-vocabulary ids. Equals ops::cross_entropy of the whole logits.
Tensor vocab_parallel_cross_entropy(const Tensor& logits, const Tensor& targets, int64_t vocab_start,
                                    const GroupPtr& group, int64_t ignore_index = -100);

}  // namespace forge::nn
