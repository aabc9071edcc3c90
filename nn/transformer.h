// The Transformer language model, GPT-2 and Llama families from one ModelConfig.
//
// GPT-2: learned positions, LayerNorm, GELU MLP, biases, LM head tied to wte.
// Llama: RoPE (HF rotate-half), RMSNorm, SwiGLU MLP, grouped-query attention,
// no biases, untied head unless tie_embeddings. Pre-norm blocks in both.
// Parameter names are Hugging Face's (transformer.h.0.attn.c_attn.weight,
// model.layers.0.self_attn.q_proj.weight, ...), so checkpoints map 1:1.
// Residual output projections start at std 0.02/sqrt(2*n_layer) (GPT-2 init).
#pragma once

#include <memory>
#include <vector>

#include "common/philox.h"
#include "nn/config.h"
#include "nn/layers.h"

namespace forge::nn {

// A Module whose registration is public: the named containers of the model tree.
class Container : public Module {
 public:
  using Module::register_module;
  using Module::register_parameter;
};

// Keys and values of past positions, per layer, for incremental decoding.
struct KVCache {
  std::vector<Tensor> keys, values;  // per layer: (B, Hkv, L, D)
  int64_t length = 0;                // positions already cached
};

struct ForwardContext {
  bool training = false;
  Generator* dropout_gen = nullptr;  // required when training with dropout > 0
  Tensor positions;                  // optional i64 (T) or (B, T); default 0..T-1
  Tensor doc_ids;                    // optional (B, T): attention stays inside each document
  KVCache* cache = nullptr;          // decoding: new tokens attend to the cached ones too (no grad)
};

class CausalSelfAttention : public Module {
 public:
  CausalSelfAttention(const ModelConfig& config, Generator& gen, int64_t layer_index);
  // x: (B, T, C) -> (B, T, C)
  Tensor forward(const Tensor& x, const ForwardContext& ctx) const;

 private:
  // q: (B, H, t, D), k/v: (B, Hkv, t, D) of the new tokens -> (B, H, t, D), using the cache.
  Tensor attend(const Tensor& q, const Tensor& k, const Tensor& v, const ForwardContext& ctx) const;

  ModelConfig config_;
  int64_t layer_index_;
  std::shared_ptr<Linear> c_attn_, c_proj_;                  // gpt2
  std::shared_ptr<Linear> q_proj_, k_proj_, v_proj_, o_proj_;  // llama
};

class MLP : public Module {
 public:
  MLP(const ModelConfig& config, Generator& gen);
  Tensor forward(const Tensor& x) const;  // (B, T, C) -> (B, T, C)

 private:
  ModelConfig config_;
  std::shared_ptr<Linear> c_fc_, c_proj_;                  // gpt2
  std::shared_ptr<Linear> gate_proj_, up_proj_, down_proj_;  // llama
};

class Block : public Module {
 public:
  Block(const ModelConfig& config, Generator& gen, int64_t layer_index);
  Tensor forward(const Tensor& x, const ForwardContext& ctx) const;

 private:
  ModelConfig config_;
  std::shared_ptr<Module> norm1_, norm2_;
  std::shared_ptr<CausalSelfAttention> attn_;
  std::shared_ptr<MLP> mlp_;
};

class TransformerLM : public Module {
 public:
  // Initialises every parameter from `seed` (deterministic across thread counts).
  TransformerLM(const ModelConfig& config, uint64_t seed);
  const ModelConfig& config() const { return config_; }

  // ids: (B, T) integer -> logits (B, T, V). With ctx.cache, ids are the tokens
  // after the cached ones and positions continue from the cache's length.
  Tensor forward(const Tensor& ids, const ForwardContext& ctx) const;
  // Mean cross-entropy of logits (B, T, V) against targets (B, T); ignore_index -100.
  static Tensor loss(const Tensor& logits, const Tensor& targets);

  // Recompute each block in backward instead of storing its activations.
  void set_activation_checkpointing(bool on) { checkpointing_ = on; }

 private:
  ModelConfig config_;
  bool checkpointing_ = false;
  std::shared_ptr<Embedding> tok_emb_, pos_emb_;
  std::vector<std::shared_ptr<Block>> blocks_;
  std::shared_ptr<Module> final_norm_;
  std::shared_ptr<Linear> lm_head_;  // null when tied
};

}  // namespace forge::nn
