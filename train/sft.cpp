// Loader choice, chat templates and vocabulary growth for SFT (see sft.h).
#include "train/sft.h"

#include <vector>

#include "common/error.h"
#include "data/sft_loader.h"
#include "checkpoint/checkpoint.h"
#include "nn/model_family.h"

namespace forge::recipes {

std::unique_ptr<data::BatchSource> make_batch_source(const Recipe& r, bool val, int dp, int dp_rank) {
  const data::Order order = val || r.data.order == DataOrder::sequential ? data::Order::sequential : data::Order::random;
  const std::string& spec = val ? r.data.val : r.data.train;
  const int64_t accum = val ? 1 : r.data.grad_accum;
  if (val) dp = 1, dp_rank = 0;
  if (!r.sft.enabled)
    return std::make_unique<data::TokenLoader>(spec, r.data.batch_size, r.data.seq_len, order,
                                               static_cast<uint64_t>(r.seed), accum, dp, dp_rank);
  data::SftLoaderOptions o;
  o.batch_size = r.data.batch_size;
  o.seq_len = r.data.seq_len;
  o.order = order;
  o.seed = static_cast<uint64_t>(r.seed);
  o.grad_accum = accum;
  o.dp_size = dp;
  o.dp_rank = dp_rank;
  o.packing = r.sft.packing;
  return std::make_unique<data::SftLoader>(spec, o);
}

data::ChatTemplate chat_template_of(const Recipe& r) { return {r.sft.chat_turn, r.sft.chat_stop}; }

data::ChatTemplate chat_template_of_checkpoint(const CheckpointContents& contents, const std::string& origin) {
  if (contents.recipe_yaml.empty()) return data::ChatTemplate{};
  return chat_template_of(parse_recipe(contents.recipe_yaml, origin + " (/config recipe)"));
}

namespace {

// A token embedding or untied LM head of any model family (nn/model_family.h).
bool is_vocab_table(const std::string& name) {
  for (const std::string& family : nn::family_names())
    if (nn::family_spec(family).is_vocab_table(name)) return true;
  return false;
}

// "transformer.wte.weight or model.embed_tokens.weight"
std::string embedding_names() {
  std::string names;
  for (const std::string& family : nn::family_names())
    names += (names.empty() ? "" : " or ") + nn::family_spec(family).embedding;
  return names;
}

}  // namespace

int64_t extend_vocab(std::vector<std::pair<std::string, Tensor>>& weights, int64_t vocab_size) {
  int64_t old_v = -1;
  for (const auto& [name, w] : weights) {
    if (!is_vocab_table(name)) continue;
    FORGE_CHECK(w.dim() == 2, "tensor '" << name << "' has shape " << shape_str(w.shape()) << ", expected (vocab, n_embd)");
    FORGE_CHECK(old_v < 0 || w.size(0) == old_v, "tensor '" << name << "' has " << w.size(0) << " rows, the embedding "
                                                             << old_v << ": cannot extend the vocabulary");
    old_v = w.size(0);
  }
  FORGE_CHECK(old_v > 0, "the weights hold no token embedding (" << embedding_names() << ") to extend");
  FORGE_CHECK(vocab_size >= old_v, "cannot shrink the vocabulary from " << old_v << " to " << vocab_size << " tokens");
  for (auto& [name, w] : weights) {
    if (!is_vocab_table(name)) continue;
    const int64_t C = w.size(1);
    const Tensor src = w.to(DType::f32).contiguous();
    const float* s = src.data<float>();
    std::vector<double> mean(static_cast<size_t>(C), 0.0);
    for (int64_t i = 0; i < old_v; ++i)
      for (int64_t c = 0; c < C; ++c) mean[c] += s[i * C + c];
    Tensor grown = Tensor::empty({vocab_size, C});
    float* d = grown.data<float>();
    std::copy(s, s + old_v * C, d);
    for (int64_t i = old_v; i < vocab_size; ++i)
      for (int64_t c = 0; c < C; ++c) d[i * C + c] = static_cast<float>(mean[c] / static_cast<double>(old_v));
    w = grown;
  }
  return vocab_size - old_v;
}

int64_t adapt_init_weights(const Recipe& r, std::vector<std::pair<std::string, Tensor>>& weights) {
  if (!r.sft.enabled || !r.sft.extend_vocab) return 0;
  for (const auto& [name, w] : weights)
    if (is_vocab_table(name) && w.dim() == 2 && w.size(0) < r.model.vocab_size)
      return extend_vocab(weights, r.model.vocab_size);
  return 0;
}

}  // namespace forge::recipes
