// ModelConfig: one description for both model families, its field table, and the named presets.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace forge::nn {

enum class Family { gpt2, llama };

// Allowed values of a numeric field (for recipe validation): [lo, hi], with
// either end open.
struct FieldRange {
  double lo = 0.0, hi = 0.0;
  bool lo_open = false, hi_open = false;
  bool contains(double v) const { return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi); }
};
inline constexpr FieldRange kCount{1, 2147483647.0};         // an integer >= 1
inline constexpr FieldRange kCountOrAuto{0, 2147483647.0};   // an integer >= 0 (0: derived)
inline constexpr FieldRange kPositive{0, HUGE_VAL, true, false};
inline constexpr FieldRange kUnitOpen{0, 1, false, true};    // [0, 1)
inline constexpr FieldRange kAnyBool{0, 1};

// THE TABLE OF MODEL FIELDS (besides `family`): type, name, default, allowed
// values, meaning. It declares ModelConfig's members and drives the recipe's
// `model.<name>` keys, the checkpoint's /config attributes, the resume diff and
// the config.json mapping (each Hugging Face family maps the names it knows,
// checkpoint/hf_model.cpp). Adding a field is one line here (docs/trainer.md,
// "Adding a model config field").
#define FORGE_MODEL_CONFIG_FIELDS(X)                                                                          \
  X(int64_t, n_layer, 2, kCount, "transformer blocks")                                                        \
  X(int64_t, n_head, 2, kCount, "attention heads")                                                            \
  X(int64_t, n_kv_head, 0, kCountOrAuto, "key/value heads: 0 = n_head (multi-head); fewer = grouped-query")    \
  X(int64_t, n_embd, 64, kCount, "model width C")                                                             \
  X(int64_t, vocab_size, 256, kCount, "token embedding rows")                                                 \
  X(int64_t, block_size, 64, kCount, "longest sequence (GPT-2's learned positions)")                          \
  X(int64_t, ffn_hidden, 0, kCountOrAuto, "MLP width: 0 = default_ffn_hidden(family, n_embd)")                \
  X(double, rope_theta, 10000.0, kPositive, "RoPE base (llama)")                                              \
  X(double, norm_eps, 1e-5, kPositive, "LayerNorm / RMSNorm epsilon")                                         \
  X(double, dropout, 0.0, kUnitOpen, "dropout probability (embeddings, residual branches)")                   \
  X(bool, tie_embeddings, true, kAnyBool, "LM head shares the token embedding (gpt2 always; llama usually not)")

struct ModelConfig {
  Family family = Family::gpt2;
#define FORGE_MODEL_MEMBER(type, name, init, range, doc) type name = init;
  FORGE_MODEL_CONFIG_FIELDS(FORGE_MODEL_MEMBER)
#undef FORGE_MODEL_MEMBER

  bool operator==(const ModelConfig&) const = default;
  int64_t head_dim() const { return n_embd / n_head; }
  int64_t kv_heads() const { return n_kv_head > 0 ? n_kv_head : n_head; }
  int64_t ffn_dim() const;
  // The same model with n_kv_head and ffn_hidden spelled out (never 0): what
  // checkpoints store and what resume compares.
  ModelConfig resolved() const;
  // Throws forge::Error naming the first inconsistent field.
  void validate() const;
  // Parameters that are matmul weights count 6 FLOPs per token per weight;
  // this is the 6N + 12*L*C*T model-FLOPs estimate per token used for MFU.
  double flops_per_token(int64_t num_params, int64_t seq_len) const;
};

// One row of FORGE_MODEL_CONFIG_FIELDS, for code that walks the fields.
struct ModelField {
  using Member = std::variant<int64_t ModelConfig::*, double ModelConfig::*, bool ModelConfig::*>;
  std::string name;  // "n_layer"
  Member member;
  FieldRange range;
  std::string doc;
};
// Every field in table order (the recipe dump's order); `family` is not among them.
const std::vector<ModelField>& model_fields();
// nullptr when `name` is not a field.
const ModelField* find_model_field(const std::string& name);
// A field's value of `config` as text ("12", "1e-05", "true").
std::string field_text(const ModelField& field, const ModelConfig& config);

const char* family_name(Family f);
// MLP width when none is given: 4 * n_embd (gpt2); ceil(8/3 * n_embd) rounded up to a multiple of 256 (llama).
int64_t default_ffn_hidden(Family family, int64_t n_embd);
Family family_from_name(const std::string& name);

// Named presets: gpt2-124m/350m/774m/1558m, llama-tiny, llama-1.1b, and the small
// test sizes gpt2-test and llama-test. Unknown names are errors listing the known ones.
// This is the one preset table; recipes' `model.preset` reads it.
ModelConfig preset(const std::string& name);
std::vector<std::string> preset_names();

}  // namespace forge::nn
