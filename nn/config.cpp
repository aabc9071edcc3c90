// ModelConfig validation and the preset registry.
#include "nn/config.h"

#include <map>

#include "common/error.h"

namespace forge::nn {

int64_t ModelConfig::ffn_dim() const {
  if (ffn_hidden > 0) return ffn_hidden;
  if (family == Family::gpt2) return 4 * n_embd;
  const int64_t h = 8 * n_embd / 3;
  return (h + 31) / 32 * 32;
}

void ModelConfig::validate() const {
  FORGE_CHECK(n_layer >= 1, "model.n_layer must be >= 1, got " << n_layer);
  FORGE_CHECK(n_head >= 1, "model.n_head must be >= 1, got " << n_head);
  FORGE_CHECK(n_embd % n_head == 0, "model.n_embd (" << n_embd << ") must be divisible by model.n_head (" << n_head << ")");
  FORGE_CHECK(kv_heads() >= 1 && n_head % kv_heads() == 0,
              "model.n_head (" << n_head << ") must be divisible by model.n_kv_head (" << kv_heads() << ")");
  FORGE_CHECK(family == Family::llama || kv_heads() == n_head, "model.n_kv_head: gpt2 models have no grouped-query attention");
  FORGE_CHECK(family == Family::gpt2 || head_dim() % 2 == 0, "model: llama head dim " << head_dim() << " must be even for RoPE");
  FORGE_CHECK(vocab_size >= 1, "model.vocab_size must be >= 1, got " << vocab_size);
  FORGE_CHECK(block_size >= 1, "model.block_size must be >= 1, got " << block_size);
  FORGE_CHECK(dropout >= 0.0 && dropout < 1.0, "model.dropout must be in [0, 1), got " << dropout);
  FORGE_CHECK(family == Family::llama || tie_embeddings, "model.tie_embeddings: gpt2 always ties its LM head to wte");
}

double ModelConfig::flops_per_token(int64_t num_params, int64_t seq_len) const {
  return 6.0 * static_cast<double>(num_params) + 12.0 * n_layer * n_embd * static_cast<double>(seq_len);
}

const char* family_name(Family f) { return f == Family::gpt2 ? "gpt2" : "llama"; }

Family family_from_name(const std::string& name) {
  if (name == "gpt2") return Family::gpt2;
  if (name == "llama") return Family::llama;
  FORGE_THROW("unknown model family '" << name << "' (expected gpt2 or llama)");
}

namespace {
const std::map<std::string, ModelConfig>& presets() {
  static const std::map<std::string, ModelConfig> p = [] {
    std::map<std::string, ModelConfig> m;
    ModelConfig g;
    g.family = Family::gpt2;
    g.n_layer = 12; g.n_head = 12; g.n_embd = 768; g.vocab_size = 50257; g.block_size = 1024;
    m["gpt2-124m"] = g;
    g.n_layer = 24; g.n_head = 16; g.n_embd = 1024;
    m["gpt2-350m"] = g;
    g.n_layer = 2; g.n_head = 2; g.n_embd = 32; g.vocab_size = 64; g.block_size = 16;
    m["gpt2-test"] = g;
    ModelConfig l;
    l.family = Family::llama; l.tie_embeddings = false; l.norm_eps = 1e-5;
    l.n_layer = 8; l.n_head = 8; l.n_kv_head = 4; l.n_embd = 512; l.vocab_size = 32000; l.block_size = 1024;
    l.ffn_hidden = 1376;
    m["llama-tiny"] = l;
    l.n_layer = 2; l.n_head = 4; l.n_kv_head = 2; l.n_embd = 32; l.vocab_size = 64; l.block_size = 16; l.ffn_hidden = 64;
    m["llama-test"] = l;
    return m;
  }();
  return p;
}
}  // namespace

ModelConfig preset(const std::string& name) {
  auto it = presets().find(name);
  if (it == presets().end()) {
    std::string names;
    for (const auto& [n, c] : presets()) names += (names.empty() ? "" : ", ") + n;
    FORGE_THROW("unknown model preset '" << name << "' (known: " << names << ")");
  }
  return it->second;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [n, c] : presets()) names.push_back(n);
  return names;
}

}  // namespace forge::nn
