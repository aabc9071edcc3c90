// Tables of model families and size presets (see model_presets.h).
#include "recipes/model_presets.h"

#include <algorithm>

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
      // GPT-2: learned positions, LayerNorm, GELU MLP of width 4C, LM head tied to wte.
      {"gpt2", /*gqa*/ false, /*tied*/ true, /*rope*/ false, /*ffn_multiple_of*/ 0,
       family_defaults("gpt2", true)},
      // Llama: RoPE, RMSNorm, SwiGLU of width 8/3 C rounded up to 256, untied head.
      {"llama", /*gqa*/ true, /*tied*/ false, /*rope*/ true, /*ffn_multiple_of*/ 256,
       family_defaults("llama", false)},
  };
  return table;
}

struct Preset {
  std::string name;
  ModelConfig config;
};

ModelConfig make(const std::string& family, int n_layer, int n_head, int n_kv_head, int n_embd,
                 int vocab_size, int block_size, int ffn_hidden, bool tied) {
  ModelConfig m = family_defaults(family, tied);
  m.n_layer = n_layer;
  m.n_head = n_head;
  m.n_kv_head = n_kv_head;
  m.n_embd = n_embd;
  m.vocab_size = vocab_size;
  m.block_size = block_size;
  m.ffn_hidden = ffn_hidden;
  return m;
}

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = [] {
    std::vector<Preset> t = {
        //                              L   H   KV  C     vocab  block  ffn   tied
        {"gpt2-124m", make("gpt2", 12, 12, 12, 768, 50257, 1024, 3072, true)},
        {"gpt2-350m", make("gpt2", 24, 16, 16, 1024, 50257, 1024, 4096, true)},
        {"gpt2-774m", make("gpt2", 36, 20, 20, 1280, 50257, 1024, 5120, true)},
        {"gpt2-1558m", make("gpt2", 48, 25, 25, 1600, 50257, 1024, 6400, true)},
        // ~56M parameters with a 32k vocabulary: a fast Llama for experiments.
        {"llama-tiny", make("llama", 8, 8, 4, 512, 32000, 1024, 1376, false)},
        // TinyLlama-1.1B's shape.
        {"llama-1.1b", make("llama", 22, 32, 4, 2048, 32000, 2048, 5632, false)},
        // Unit-test sizes: a few thousand parameters, byte-sized vocabulary.
        {"gpt2-test", make("gpt2", 2, 2, 2, 32, 256, 64, 128, true)},
        {"llama-test", make("llama", 2, 4, 2, 32, 256, 64, 96, false)},
    };
    for (Preset& p : t) p.config.preset = p.name;
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
  for (const Preset& p : presets())
    if (p.name == name) return &p.config;
  return nullptr;
}

std::vector<std::string> model_preset_names() {
  std::vector<std::string> names;
  for (const Preset& p : presets()) names.push_back(p.name);
  return names;
}

int default_ffn_hidden(const ModelFamily& family, int n_embd) {
  if (family.ffn_multiple_of == 0) return 4 * n_embd;
  const int m = family.ffn_multiple_of;
  const int raw = (8 * n_embd + 2) / 3;  // ceil(8/3 * n_embd)
  return std::max(m, (raw + m - 1) / m * m);
}

}  // namespace forge::recipes
