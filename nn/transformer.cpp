// GPT-2 / Llama blocks and the language model (see transformer.h).
#include "nn/transformer.h"

#include <algorithm>
#include <cmath>

#include "autograd/checkpoint.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "nn/mixed_precision.h"

namespace forge::nn {
namespace {

double residual_std(const ModelConfig& c) { return 0.02 / std::sqrt(2.0 * static_cast<double>(c.n_layer)); }

Tensor norm_forward(const Module& m, const Tensor& x) {
  if (auto* ln = dynamic_cast<const LayerNorm*>(&m)) return ln->forward(x);
  return static_cast<const RMSNorm&>(m).forward(x);
}

std::shared_ptr<Module> make_norm(const ModelConfig& c) {
  if (c.family == Family::gpt2) return std::make_shared<LayerNorm>(c.n_embd, c.norm_eps);
  return std::make_shared<RMSNorm>(c.n_embd, c.norm_eps);
}

Tensor maybe_dropout(const Tensor& x, const ModelConfig& c, const ForwardContext& ctx) {
  if (!ctx.training || c.dropout <= 0.0) return x;
  FORGE_CHECK(ctx.dropout_gen != nullptr, "model forward: dropout needs a generator in training mode");
  return ops::dropout(x, c.dropout, *ctx.dropout_gen, true);
}

// i64 (T) on `device`: past, past + 1, ..., past + T - 1
Tensor position_range(int64_t past, int64_t T, Device device) {
  std::vector<int64_t> p(static_cast<size_t>(T));
  for (int64_t i = 0; i < T; ++i) p[i] = past + i;
  return Tensor::from_vector(p, {T}).to(device);
}

// (B, T, H*D) -> (B, H, T, D)
Tensor split_heads(const Tensor& x, int64_t heads, int64_t head_dim) {
  const int64_t B = x.size(0), T = x.size(1);
  return x.reshape({B, T, heads, head_dim}).transpose(1, 2);
}

}  // namespace

CausalSelfAttention::CausalSelfAttention(const ModelConfig& c, Generator& gen, int64_t layer_index,
                                         const GroupPtr& tp)
    : config_(c), layer_index_(layer_index) {
  const int64_t C = c.n_embd, D = c.head_dim();
  if (c.family == Family::gpt2) {
    // Fused q|k|v: each of the three is split per head across the tp ranks.
    c_attn_ = register_module("c_attn", std::make_shared<ColumnParallelLinear>(C, std::vector<int64_t>{C, C, C}, true,
                                                                              gen, 0.02, tp));
    c_proj_ = register_module("c_proj", std::make_shared<RowParallelLinear>(C, C, true, gen, residual_std(c), tp));
    heads_ = kv_heads_ = c_attn_->local_out_features() / 3 / D;
  } else {
    q_proj_ = register_module("q_proj", std::make_shared<ColumnParallelLinear>(C, std::vector<int64_t>{c.n_head * D},
                                                                              false, gen, 0.02, tp));
    k_proj_ = register_module("k_proj", std::make_shared<ColumnParallelLinear>(C, std::vector<int64_t>{c.kv_heads() * D},
                                                                              false, gen, 0.02, tp));
    v_proj_ = register_module("v_proj", std::make_shared<ColumnParallelLinear>(C, std::vector<int64_t>{c.kv_heads() * D},
                                                                              false, gen, 0.02, tp));
    o_proj_ = register_module("o_proj",
                              std::make_shared<RowParallelLinear>(c.n_head * D, C, false, gen, residual_std(c), tp));
    heads_ = q_proj_->local_out_features() / D;
    kv_heads_ = k_proj_->local_out_features() / D;
  }
}

Tensor CausalSelfAttention::forward(const Tensor& x, const ForwardContext& ctx) const {
  // x: (B, T, C); H of this rank's heads (all of them without tensor parallelism)
  const int64_t B = x.size(0), T = x.size(1), H = heads_, D = config_.head_dim(), C = H * D;
  Tensor y;  // (B, H, T, D)
  if (config_.family == Family::gpt2) {
    Tensor qkv = c_attn_->forward(x);  // (B, T, 3C)
    // Without a KV cache the fused op reads q|k|v in place (no split or merge copies).
    if (ctx.cache == nullptr) return c_proj_->forward(ops::attention_packed(qkv, H, 0.0, ctx.doc_ids));
    Tensor q = split_heads(qkv.narrow(2, 0, C), H, D);
    Tensor k = split_heads(qkv.narrow(2, C, C), H, D);
    Tensor v = split_heads(qkv.narrow(2, 2 * C, C), H, D);
    y = attend(q, k, v, ctx);
  } else {
    const int64_t Hkv = kv_heads_;
    const int64_t past = ctx.cache ? ctx.cache->length : 0;
    Tensor positions = ctx.positions.defined() ? ctx.positions
                                               : position_range(past, T, x.device());
    Tensor q = ops::rope(split_heads(q_proj_->forward(x), H, D).contiguous(), positions, config_.rope_theta);
    Tensor k = ops::rope(split_heads(k_proj_->forward(x), Hkv, D).contiguous(), positions, config_.rope_theta);
    Tensor v = split_heads(v_proj_->forward(x), Hkv, D);
    y = attend(q, k, v, ctx);
  }
  Tensor merged = y.transpose(1, 2).reshape({B, T, H * D});  // (B, T, H*D)
  return config_.family == Family::gpt2 ? c_proj_->forward(merged) : o_proj_->forward(merged);
}

Tensor CausalSelfAttention::attend(const Tensor& q, const Tensor& k_new, const Tensor& v_new,
                                   const ForwardContext& ctx) const {
  if (ctx.cache == nullptr) return ops::attention(q, k_new, v_new, 0.0, ctx.doc_ids);
  KVCache& cache = *ctx.cache;
  if (cache.keys.size() < static_cast<size_t>(config_.n_layer)) {
    cache.keys.resize(config_.n_layer);
    cache.values.resize(config_.n_layer);
  }
  const int64_t past = cache.length, t = q.size(2), L = past + t;
  Tensor& ck = cache.keys[layer_index_];
  Tensor& cv = cache.values[layer_index_];
  ensure_capacity(ck, k_new, past, L, cache.reserve);
  ensure_capacity(cv, v_new, past, L, cache.reserve);
  {
    NoGradGuard no_grad;  // raw copies into the buffers: the cache carries no gradient
    ops::copy_(ck.narrow(2, past, t), k_new);
    ops::copy_(cv.narrow(2, past, t), v_new);
  }
  if (past == 0) return ops::attention(q, k_new, v_new);  // prefill: plain causal attention
  // New tokens t attend to every cached position and causally among themselves:
  // key s is visible to new token t when s <= past + t.
  // The keys and values are (B, Hkv, L, D) views of the buffers (row stride D,
  // batch/head strides over the capacity): matmul hands them, and keys^T, to
  // BLAS in place, so a step reads the cache once and copies none of it.
  const int64_t B = q.size(0), H = q.size(1), D = q.size(3), Hkv = ck.size(1), group = H / Hkv;
  const Tensor keys = ck.narrow(2, 0, L), values = cv.narrow(2, 0, L);
  // Grouped-query attention: the `group` query heads of kv head j are heads
  // j*group .. j*group+group-1, consecutive in q, so they fold into the rows of
  // one product per kv head instead of repeating the keys per query head.
  // (q is small: the reshape copies only q, and only when it is strided.)
  const Tensor qg = group == 1 ? q : q.reshape({B, Hkv, group * t, D});  // (B, Hkv, group*t, D)
  Tensor scores = ops::mul_scalar(ops::matmul(qg, keys.transpose(2, 3)), 1.0 / std::sqrt(double(D)));
  if (t > 1) {
    std::vector<int64_t> mask(static_cast<size_t>(t * L));
    for (int64_t i = 0; i < t; ++i)
      for (int64_t s = 0; s < L; ++s) mask[i * L + s] = s > past + i;
    // scores is a fresh contiguous (B, Hkv, group*t, L): the (B, H, t, L) reshape is a view.
    scores = ops::masked_fill(scores.reshape({B, H, t, L}), Tensor::from_vector(mask, {t, L}, DType::u8).to(q.device()), -1e30)
                 .reshape({B, Hkv, group * t, L});
  }
  Tensor y = ops::matmul(ops::softmax(scores, -1), values);  // (B, Hkv, group*t, D)
  return group == 1 ? y : y.reshape({B, H, t, D});
}

void CausalSelfAttention::ensure_capacity(Tensor& buffer, const Tensor& like, int64_t keep, int64_t needed,
                                          int64_t reserve) const {
  const int64_t B = like.size(0), Hkv = like.size(1), D = like.size(3);
  const bool fits = buffer.defined() && buffer.size(0) == B && buffer.size(1) == Hkv && buffer.size(3) == D &&
                    buffer.dtype() == like.dtype() && buffer.device() == like.device();
  if (keep > 0)
    FORGE_CHECK(fits, "KV cache: layer " << layer_index_ << " holds " << keep << " positions but its buffer "
                                         << (buffer.defined() ? shape_str(buffer.shape()) : std::string("is empty"))
                                         << " does not match the new keys " << shape_str(like.shape())
                                         << " (batch, heads, head dim and dtype must stay the same within a "
                                            "sequence; set length = 0 to start a new one)");
  const int64_t capacity = fits ? buffer.size(2) : 0;
  if (needed <= capacity) return;
  // Geometric growth, at least to `needed`; within block_size (or the reserve)
  // no further than that, since a sequence normally stops there. Beyond it
  // (Llama may run past block_size) doubling goes on.
  constexpr int64_t kMinCapacity = 16;
  const int64_t limit = std::max(config_.block_size, reserve);
  int64_t grown = std::max({2 * capacity, kMinCapacity, reserve});
  if (needed <= limit) grown = std::min(grown, limit);
  grown = std::max(grown, needed);
  Tensor fresh = Tensor::empty({B, Hkv, grown, D}, like.dtype(), like.device());  // positions >= length are never read
  if (keep > 0) ops::copy_(fresh.narrow(2, 0, keep), buffer.narrow(2, 0, keep));
  buffer = fresh;
}

MLP::MLP(const ModelConfig& c, Generator& gen, const GroupPtr& tp) : config_(c) {
  const int64_t C = c.n_embd, F = c.ffn_dim();
  if (c.family == Family::gpt2) {
    c_fc_ = register_module("c_fc", std::make_shared<ColumnParallelLinear>(C, std::vector<int64_t>{F}, true, gen, 0.02, tp));
    c_proj_ = register_module("c_proj", std::make_shared<RowParallelLinear>(F, C, true, gen, residual_std(c), tp));
  } else {
    gate_proj_ = register_module("gate_proj",
                                 std::make_shared<ColumnParallelLinear>(C, std::vector<int64_t>{F}, false, gen, 0.02, tp));
    up_proj_ = register_module("up_proj",
                               std::make_shared<ColumnParallelLinear>(C, std::vector<int64_t>{F}, false, gen, 0.02, tp));
    down_proj_ = register_module("down_proj", std::make_shared<RowParallelLinear>(F, C, false, gen, residual_std(c), tp));
  }
}

Tensor MLP::forward(const Tensor& x) const {
  if (config_.family == Family::gpt2) return c_proj_->forward(ops::gelu(c_fc_->forward(x)));
  return down_proj_->forward(ops::swiglu(gate_proj_->forward(x), up_proj_->forward(x)));
}

Block::Block(const ModelConfig& c, Generator& gen, int64_t layer_index, const GroupPtr& tp) : config_(c) {
  const bool gpt2 = c.family == Family::gpt2;
  norm1_ = register_module(gpt2 ? "ln_1" : "input_layernorm", make_norm(c));
  attn_ = register_module(gpt2 ? "attn" : "self_attn", std::make_shared<CausalSelfAttention>(c, gen, layer_index, tp));
  norm2_ = register_module(gpt2 ? "ln_2" : "post_attention_layernorm", make_norm(c));
  mlp_ = register_module("mlp", std::make_shared<MLP>(c, gen, tp));
}

Tensor Block::forward(const Tensor& x, const ForwardContext& ctx) const {
  Tensor h = ops::add(x, maybe_dropout(attn_->forward(norm_forward(*norm1_, x), ctx), config_, ctx));
  return ops::add(h, maybe_dropout(mlp_->forward(norm_forward(*norm2_, h)), config_, ctx));
}

TransformerLM::TransformerLM(const ModelConfig& c, uint64_t seed, const ModelParallelism& parallel)
    : config_(c), tp_group_(parallel.tp_group) {
  c.validate();
  layer_begin_ = parallel.layer_begin;
  layer_end_ = parallel.layer_end < 0 ? c.n_layer : parallel.layer_end;
  FORGE_CHECK(0 <= layer_begin_ && layer_begin_ < layer_end_ && layer_end_ <= c.n_layer,
              "pipeline stage: layers [" << layer_begin_ << ", " << layer_end_ << ") are not a non-empty range of the "
                                         << c.n_layer << " layers");
  if (tp_group_ && tp_group_->size() > 1) {
    const int64_t tp = tp_group_->size();
    FORGE_CHECK(c.n_head % tp == 0 && c.kv_heads() % tp == 0 && c.ffn_dim() % tp == 0 && c.vocab_size % tp == 0,
                "tensor parallelism: tp " << tp << " must divide n_head (" << c.n_head << "), n_kv_head ("
                                          << c.kv_heads() << "), the MLP width (" << c.ffn_dim()
                                          << ") and vocab_size (" << c.vocab_size << ")");
  }
  Generator gen(seed);
  const bool gpt2 = c.family == Family::gpt2;
  const GroupPtr& tp = tp_group_;
  // Every stage draws every layer's initial weights in the single-device order
  // and keeps its own, so all layouts start from the same weights.
  auto body = register_module(gpt2 ? "transformer" : "model", std::make_shared<Container>());
  auto tok = std::make_shared<VocabParallelEmbedding>(c.vocab_size, c.n_embd, gen, tp, /*duplicate=*/!first_stage());
  // The last stage needs the tied embedding as its head: a copy whose gradient the trainer sums with the first's.
  if (first_stage() || (last_stage() && c.tie_embeddings))
    tok_emb_ = body->register_module(gpt2 ? "wte" : "embed_tokens", tok);
  if (gpt2) {
    auto pos = std::make_shared<Embedding>(c.block_size, c.n_embd, gen);
    if (first_stage()) pos_emb_ = body->register_module("wpe", pos);
  }
  auto layers = body->register_module(gpt2 ? "h" : "layers", std::make_shared<Container>());
  for (int64_t i = 0; i < c.n_layer; ++i) {
    auto block = std::make_shared<Block>(c, gen, i, tp);
    if (i >= layer_begin_ && i < layer_end_) blocks_.push_back(layers->register_module(std::to_string(i), block));
  }
  if (last_stage()) final_norm_ = body->register_module(gpt2 ? "ln_f" : "norm", make_norm(c));
  if (!c.tie_embeddings) {
    auto head = std::make_shared<ColumnParallelLinear>(c.n_embd, std::vector<int64_t>{c.vocab_size}, false, gen, 0.02, tp);
    if (last_stage()) lm_head_ = register_module("lm_head", head);
  }
}

bool TransformerLM::is_partitioned() const {
  return (tp_group_ && tp_group_->size() > 1) || !first_stage() || !last_stage();
}

Tensor TransformerLM::forward(const Tensor& input, const ForwardContext& ctx) const {
  const int64_t T = input.size(1);
  const int64_t past = ctx.cache ? ctx.cache->length : 0;
  Tensor x;  // (B, T, C)
  if (first_stage()) {
    FORGE_CHECK(input.dim() == 2, "model forward: token ids must be (B, T), got " << shape_str(input.shape()));
    FORGE_CHECK(past + T <= config_.block_size || config_.family == Family::llama,
                "model forward: sequence length " << past + T << " exceeds model.block_size " << config_.block_size);
    x = tok_emb_->forward(input);
    if (pos_emb_) {
      Tensor pos = ctx.positions.defined() ? ctx.positions
                                           : position_range(past, T, input.device());
      x = ops::add(x, pos_emb_->forward(pos));
    }
    x = maybe_dropout(to_compute(x), config_, ctx);  // the fp32 embeddings enter the compute dtype
  } else {
    FORGE_CHECK(input.dim() == 3 && input.size(2) == config_.n_embd,
                "pipeline stage forward: hidden states must be (B, T, " << config_.n_embd << "), got "
                                                                        << shape_str(input.shape()));
    x = to_compute(input);  // stages exchange fp32 (exact for 16-bit values)
  }
  for (const auto& block : blocks_) {
    if (checkpointing_ && ctx.training) {
      std::vector<Generator*> rngs;
      if (ctx.dropout_gen) rngs.push_back(ctx.dropout_gen);
      const Block* b = block.get();
      // The recomputation in backward runs under the precision policy of this forward.
      x = autograd::checkpoint(
          [b, ctx, policy = autocast_policy()](const std::vector<Tensor>& in) {
            Autocast autocast(policy);
            return std::vector<Tensor>{b->forward(in[0], ctx)};
          },
          {x}, rngs)[0];
    } else {
      x = block->forward(x, ctx);
    }
  }
  // Every pipeline stage keeps its own cache of its own layers, so each advances it.
  if (ctx.cache) ctx.cache->length += T;
  if (!last_stage()) return x.to(DType::f32);  // the pipeline's point-to-point messages are fp32
  x = norm_forward(*final_norm_, x);
  if (lm_head_) return lm_head_->forward(x);         // (B, T, V / tp)
  return parallel_linear(x, tok_emb_->weight, tp_group_);  // (B, T, V / tp)
}

Tensor TransformerLM::loss(const Tensor& logits, const Tensor& targets) {
  const int64_t V = logits.size(-1);
  return ops::cross_entropy(logits.reshape({-1, V}), targets.reshape({-1}), -100);
}

Tensor TransformerLM::loss_of(const Tensor& logits, const Tensor& targets) const {
  FORGE_CHECK(last_stage(), "loss_of: only the last pipeline stage has logits");
  const int64_t Vl = logits.size(-1);
  const int64_t vocab_start = lm_head_ ? (tp_group_ ? tp_group_->rank() * Vl : 0) : tok_emb_->vocab_start();
  return vocab_parallel_cross_entropy(logits.reshape({-1, Vl}), targets.reshape({-1}), vocab_start, tp_group_, -100);
}

}  // namespace forge::nn
