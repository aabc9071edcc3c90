// Model families and the recipe view of nn's size presets (see model_presets.h).
#include "recipes/model_presets.h"

#include <map>

#include "nn/config.h"

namespace forge::recipes {
namespace {

// nn's defaults for everything but the sizes, which have no family default.
ModelSection family_defaults(nn::Family family, bool tied) {
  ModelSection m;
  m.family = family;
  m.n_layer = m.n_head = m.n_kv_head = m.n_embd = m.vocab_size = m.block_size = m.ffn_hidden = 0;
  m.tie_embeddings = tied;
  return m;
}

const std::vector<ModelFamily>& families() {
  static const std::vector<ModelFamily> table = {
      // GPT-2: learned positions, LayerNorm, GELU MLP, LM head tied to wte.
      {"gpt2", /*gqa*/ false, /*tied*/ true, /*rope*/ false, family_defaults(nn::Family::gpt2, true)},
      // Llama: RoPE, RMSNorm, SwiGLU, untied head.
      {"llama", /*gqa*/ true, /*tied*/ false, /*rope*/ true, family_defaults(nn::Family::llama, false)},
  };
  return table;
}

// nn's preset (the one table) as a fully resolved recipe model section.
ModelSection from_nn(const std::string& name, const nn::ModelConfig& c) {
  ModelSection m;
  static_cast<nn::ModelConfig&>(m) = c.resolved();
  m.preset = name;
  return m;
}

const std::map<std::string, ModelSection>& presets() {
  static const std::map<std::string, ModelSection> table = [] {
    std::map<std::string, ModelSection> t;
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

const ModelSection* find_model_preset(const std::string& name) {
  auto it = presets().find(name);
  return it == presets().end() ? nullptr : &it->second;
}

std::vector<std::string> model_preset_names() { return nn::preset_names(); }

int default_ffn_hidden(const ModelFamily& family, int n_embd) {
  return static_cast<int>(nn::default_ffn_hidden(nn::family_from_name(family.name), n_embd));
}

}  // namespace forge::recipes
