// Model families and the recipe view of nn's size presets (see model_presets.h).
#include "recipes/model_presets.h"

#include <map>

#include "nn/config.h"

namespace forge::recipes {
namespace {

ModelConfig family_defaults(const std::string& family, bool tied) {
  ModelConfig m;
  m.family = family;
  m.rope_theta = 10000.0;
  m.norm_eps = 1e-5;
  m.dropout = 0.0;
  m.tie_embeddings = tied;
  return m;
}

const std::vector<ModelFamily>& families() {
  static const std::vector<ModelFamily> table = {
      // GPT-2: learned positions, LayerNorm, GELU MLP, LM head tied to wte.
      {"gpt2", /*gqa*/ false, /*tied*/ true, /*rope*/ false, family_defaults("gpt2", true)},
      // Llama: RoPE, RMSNorm, SwiGLU, untied head.
      {"llama", /*gqa*/ true, /*tied*/ false, /*rope*/ true, family_defaults("llama", false)},
  };
  return table;
}

// nn's preset (the one table) as a fully resolved recipe model section.
ModelConfig from_nn(const std::string& name, const nn::ModelConfig& c) {
  ModelConfig m = family_defaults(nn::family_name(c.family), c.tie_embeddings);
  m.preset = name;
  m.n_layer = static_cast<int>(c.n_layer);
  m.n_head = static_cast<int>(c.n_head);
  m.n_kv_head = static_cast<int>(c.kv_heads());
  m.n_embd = static_cast<int>(c.n_embd);
  m.vocab_size = static_cast<int>(c.vocab_size);
  m.block_size = static_cast<int>(c.block_size);
  m.ffn_hidden = static_cast<int>(c.ffn_dim());
  m.rope_theta = c.rope_theta;
  m.norm_eps = c.norm_eps;
  return m;
}

const std::map<std::string, ModelConfig>& presets() {
  static const std::map<std::string, ModelConfig> table = [] {
    std::map<std::string, ModelConfig> t;
    for (const std::string& name : nn::preset_names()) t.emplace(name, from_nn(name, nn::preset(name)));
    return t;
  }();
  return table;
}

}  // namespace

const ModelFamily* find_model_family(const std::string& name) {
  for (const ModelFamily& f : families())
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string> model_family_names() {
  std::vector<std::string> names;
  for (const ModelFamily& f : families()) names.push_back(f.name);
  return names;
}

const ModelConfig* find_model_preset(const std::string& name) {
  auto it = presets().find(name);
  return it == presets().end() ? nullptr : &it->second;
}

std::vector<std::string> model_preset_names() { return nn::preset_names(); }

int default_ffn_hidden(const ModelFamily& family, int n_embd) {
  return static_cast<int>(nn::default_ffn_hidden(nn::family_from_name(family.name), n_embd));
}

}  // namespace forge::recipes
