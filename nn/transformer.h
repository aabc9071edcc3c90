// The Transformer language model, GPT-2 and Llama families from one ModelConfig.
//
// GPT-2: learned positions, LayerNorm, GELU MLP, biases, LM head tied to wte.
// Llama: RoPE (HF rotate-half), RMSNorm, SwiGLU MLP, grouped-query attention,
// no biases, untied head unless tie_embeddings. Pre-norm blocks in both.
// Parameter names are Hugging Face's (transformer.h.0.attn.c_attn.weight,
// model.layers.0.self_attn.q_proj.weight, ...), so checkpoints map 1:1.
// Residual output projections start at std 0.02/sqrt(2*n_layer) (GPT-2 init).
// Under an nn::Autocast the model computes in its dtype (bf16/f16) from fp32
// master weights; logits come out in that dtype and the loss is fp32
// (docs/mixed-precision.md).
//
// Tensor and pipeline parallelism (docs/distributed.md) are given by a
// ModelParallelism: the layers are the tensor-parallel ones of
// nn/tensor_parallel.h over its tp group (column-parallel QKV and MLP up/gate,
// GPT-2's fused c_attn split per head; row-parallel output and down
// projections; vocab-parallel embedding, head and loss), and the model holds
// only its pipeline stage's blocks (embeddings on the first stage, final norm,
// head and loss on the last). The default is the whole single-device model;
// every layout draws the same initial weights from the seed.
#pragma once

#include <memory>
#include <vector>

#include "common/philox.h"
#include "nn/config.h"
#include "nn/layers.h"
#include "nn/tensor_parallel.h"

namespace forge::nn {

// A Module whose registration is public: the named containers of the model tree.
class Container : public Module {
 public:
  using Module::register_module;
  using Module::register_parameter;
};

// Keys and values of past positions, per layer, for incremental decoding.
// Each layer's keys and values live in a preallocated (B, Hkv, capacity, D)
// buffer: a forward with t new tokens copies their keys and values in at
// positions [length, length + t) and attention reads the first length + t
// positions as a view. A buffer that is too small is replaced by one of double
// the capacity (at least what is needed, at most block_size while the sequence
// fits in it), so growth costs O(L) copies over a whole generation.
// TransformerLM::forward advances `length` by t (on every pipeline stage, each
// caching its own layers).
// Setting length = 0 starts a new sequence in the same buffers.
struct KVCache {
  std::vector<Tensor> keys, values;  // per layer: (B, Hkv, capacity, D); positions [0, length) are valid
  int64_t length = 0;                // positions already cached
  int64_t reserve = 0;               // first allocation holds at least this many positions (0: grow as needed)

  // Positions a layer's buffers hold before they must grow (0 before the first forward).
  int64_t capacity(int64_t layer = 0) const {
    return layer < static_cast<int64_t>(keys.size()) && keys[layer].defined() ? keys[layer].size(2) : 0;
  }
};

struct ForwardContext {
  bool training = false;
  Generator* dropout_gen = nullptr;  // required when training with dropout > 0
  Tensor positions;                  // optional i64 (T) or (B, T); default 0..T-1
  Tensor doc_ids;                    // optional (B, T): attention stays inside each document
  KVCache* cache = nullptr;          // decoding: new tokens attend to the cached ones too (no grad)
};

// Which part of the model a rank builds.
struct ModelParallelism {
  GroupPtr tp_group;         // tensor-parallel group; null = none (tp must divide n_head, n_kv_head, ffn, vocab)
  int64_t layer_begin = 0;   // this pipeline stage's blocks: [layer_begin, layer_end)
  int64_t layer_end = -1;    // -1: through the last block
};

class CausalSelfAttention : public Module {
 public:
  CausalSelfAttention(const ModelConfig& config, Generator& gen, int64_t layer_index, const GroupPtr& tp_group);
  // x: (B, T, C) -> (B, T, C)
  Tensor forward(const Tensor& x, const ForwardContext& ctx) const;

 private:
  // q: (B, H, t, D), k/v: (B, Hkv, t, D) of the new tokens -> (B, H, t, D), using the cache.
  Tensor attend(const Tensor& q, const Tensor& k, const Tensor& v, const ForwardContext& ctx) const;
  // Makes `buffer` a (B, Hkv, capacity, D) cache buffer for keys or values like
  // `like` with capacity >= needed, keeping its first `keep` positions.
  void ensure_capacity(Tensor& buffer, const Tensor& like, int64_t keep, int64_t needed, int64_t reserve) const;

  ModelConfig config_;
  int64_t layer_index_;
  int64_t heads_ = 0, kv_heads_ = 0;  // this rank's share of the heads
  std::shared_ptr<ColumnParallelLinear> c_attn_, q_proj_, k_proj_, v_proj_;  // gpt2: c_attn; llama: q/k/v
  std::shared_ptr<RowParallelLinear> c_proj_, o_proj_;                        // gpt2: c_proj; llama: o_proj
};

class MLP : public Module {
 public:
  MLP(const ModelConfig& config, Generator& gen, const GroupPtr& tp_group);
  Tensor forward(const Tensor& x) const;  // (B, T, C) -> (B, T, C)

 private:
  ModelConfig config_;
  std::shared_ptr<ColumnParallelLinear> c_fc_, gate_proj_, up_proj_;  // gpt2: c_fc; llama: gate/up
  std::shared_ptr<RowParallelLinear> c_proj_, down_proj_;               // gpt2: c_proj; llama: down
};

class Block : public Module {
 public:
  Block(const ModelConfig& config, Generator& gen, int64_t layer_index, const GroupPtr& tp_group);
  Tensor forward(const Tensor& x, const ForwardContext& ctx) const;

 private:
  ModelConfig config_;
  std::shared_ptr<Module> norm1_, norm2_;
  std::shared_ptr<CausalSelfAttention> attn_;
  std::shared_ptr<MLP> mlp_;
};

class TransformerLM : public Module {
 public:
  // Initialises every parameter from `seed` (deterministic across thread
  // counts and layouts: a rank keeps its pieces of the single-device weights).
  TransformerLM(const ModelConfig& config, uint64_t seed, const ModelParallelism& parallel = {});
  const ModelConfig& config() const { return config_; }

  // ids: (B, T) integer -> logits (B, T, V). With ctx.cache, ids are the tokens
  // after the cached ones and positions continue from the cache's length.
  // A pipeline stage maps its input to its output: the first stage takes the
  // ids, the others the previous stage's hidden states (B, T, C); the last
  // returns logits, the others hidden states (B, T, C). With tensor
  // parallelism the logits are this rank's vocabulary columns (B, T, V / tp).
  Tensor forward(const Tensor& input, const ForwardContext& ctx) const;
  // Mean cross-entropy of logits (B, T, V) against targets (B, T); ignore_index -100.
  static Tensor loss(const Tensor& logits, const Tensor& targets);
  // The same for this model's forward output (vocab-parallel logits included; last stage).
  Tensor loss_of(const Tensor& logits, const Tensor& targets) const;

  bool first_stage() const { return layer_begin_ == 0; }
  bool last_stage() const { return layer_end_ == config_.n_layer; }
  int64_t layer_begin() const { return layer_begin_; }
  int64_t layer_end() const { return layer_end_; }
  // Whether the model spans several ranks (its parameters are pieces of the whole).
  bool is_partitioned() const;

  // Recompute each block in backward instead of storing its activations.
  void set_activation_checkpointing(bool on) { checkpointing_ = on; }

 private:
  ModelConfig config_;
  bool checkpointing_ = false;
  GroupPtr tp_group_;
  int64_t layer_begin_ = 0, layer_end_ = 0;
  std::shared_ptr<VocabParallelEmbedding> tok_emb_;  // first stage; last stage too when tied (a copy)
  std::shared_ptr<Embedding> pos_emb_;               // gpt2, first stage
  std::vector<std::shared_ptr<Block>> blocks_;       // this stage's
  std::shared_ptr<Module> final_norm_;               // last stage
  std::shared_ptr<ColumnParallelLinear> lm_head_;    // last stage; null when tied
};

}  // namespace forge::nn
