// ModelConfig validation, its field table and the preset registry.
#include "nn/config.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <type_traits>

#include "common/error.h"

namespace forge::nn {

int64_t default_ffn_hidden(Family family, int64_t n_embd) {
  if (family == Family::gpt2) return 4 * n_embd;
  constexpr int64_t kMultiple = 256;  // Llama's `multiple_of`
  const int64_t raw = (8 * n_embd + 2) / 3;  // ceil(8/3 * n_embd)
  return std::max(kMultiple, (raw + kMultiple - 1) / kMultiple * kMultiple);
}

int64_t ModelConfig::ffn_dim() const { return ffn_hidden > 0 ? ffn_hidden : default_ffn_hidden(family, n_embd); }

ModelConfig ModelConfig::resolved() const {
  ModelConfig c = *this;
  c.n_kv_head = kv_heads();
  c.ffn_hidden = ffn_dim();
  return c;
}

const std::vector<ModelField>& model_fields() {
  static const std::vector<ModelField> fields = {
#define FORGE_MODEL_ROW(type, name, init, range, doc) {#name, &ModelConfig::name, range, doc},
      FORGE_MODEL_CONFIG_FIELDS(FORGE_MODEL_ROW)
#undef FORGE_MODEL_ROW
  };
  return fields;
}

const ModelField* find_model_field(const std::string& name) {
  for (const ModelField& f : model_fields())
    if (f.name == name) return &f;
  return nullptr;
}

std::string field_text(const ModelField& field, const ModelConfig& config) {
  return std::visit(
      [&](auto member) {
        std::ostringstream os;
        const auto value = config.*member;
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, bool>) os << (value ? "true" : "false");
        else os << value;
        return os.str();
      },
      field.member);
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
ModelConfig make(Family family, int64_t n_layer, int64_t n_head, int64_t n_kv_head, int64_t n_embd,
                 int64_t vocab_size, int64_t block_size, int64_t ffn_hidden) {
  ModelConfig m;
  m.family = family;
  m.n_layer = n_layer;
  m.n_head = n_head;
  m.n_kv_head = n_kv_head;
  m.n_embd = n_embd;
  m.vocab_size = vocab_size;
  m.block_size = block_size;
  m.ffn_hidden = ffn_hidden;
  m.tie_embeddings = family == Family::gpt2;
  return m;
}

const std::map<std::string, ModelConfig>& presets() {
  using enum Family;
  static const std::map<std::string, ModelConfig> p = {
      //                       L   H   KV  C     vocab  block  ffn
      {"gpt2-124m", make(gpt2, 12, 12, 12, 768, 50257, 1024, 3072)},
      {"gpt2-350m", make(gpt2, 24, 16, 16, 1024, 50257, 1024, 4096)},
      {"gpt2-774m", make(gpt2, 36, 20, 20, 1280, 50257, 1024, 5120)},
      {"gpt2-1558m", make(gpt2, 48, 25, 25, 1600, 50257, 1024, 6400)},
      // ~56M parameters with a 32k vocabulary: a fast Llama for experiments.
      {"llama-tiny", make(llama, 8, 8, 4, 512, 32000, 1024, 1376)},
      // TinyLlama-1.1B's shape.
      {"llama-1.1b", make(llama, 22, 32, 4, 2048, 32000, 2048, 5632)},
      // Unit-test sizes (tests/data/model_golden was made with these).
      {"gpt2-test", make(gpt2, 2, 2, 2, 32, 64, 16, 128)},
      {"llama-test", make(llama, 2, 4, 2, 32, 64, 16, 64)},
  };
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
