// The model family registry (see model_family.h).
#include "nn/model_family.h"

#include <algorithm>
#include <sstream>

#include "common/error.h"

namespace forge::nn {
namespace {

// True when the '.'-separated parts of `name` end with those of `suffix`.
bool ends_with_parts(const std::string& name, const std::string& suffix) {
  if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  return name.size() == suffix.size() || name[name.size() - suffix.size() - 1] == '.';
}

std::unique_ptr<TransformerLM> build_transformer(const ModelConfig& c, uint64_t seed, const ModelParallelism& p) {
  return std::make_unique<TransformerLM>(c, seed, p);
}

FamilySpec gpt2() {
  FamilySpec f;
  f.family = Family::gpt2;
  f.name = "gpt2";
  f.hf_architecture = "GPT2LMHeadModel";
  f.embedding = "transformer.wte.weight";
  f.lm_head = "lm_head.weight";
  f.no_decay = {"transformer.wte.weight", "transformer.wpe.weight"};
  f.hf_transposed = {"attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"};
  f.hf_buffers = {"attn.bias", "attn.masked_bias"};
  f.hf_base_prefix = "transformer.";
  f.build = build_transformer;
  return f;
}

FamilySpec llama() {
  FamilySpec f;
  f.family = Family::llama;
  f.name = "llama";
  f.hf_architecture = "LlamaForCausalLM";
  f.embedding = "model.embed_tokens.weight";
  f.lm_head = "lm_head.weight";
  f.no_decay = {"model.embed_tokens.weight"};
  f.hf_buffers = {"rotary_emb.inv_freq"};
  f.build = build_transformer;
  return f;
}

const std::vector<FamilySpec>& registry() {
  static const std::vector<FamilySpec> specs = [] {
    std::vector<FamilySpec> r;
    for (FamilySpec f : {gpt2(), llama()}) {
      for (const FamilySpec& known : r)
        FORGE_CHECK(known.name != f.name && known.family != f.family, "model family '" << f.name << "' is registered twice");
      r.push_back(std::move(f));
    }
    return r;
  }();
  return specs;
}

}  // namespace

bool FamilySpec::decays(const std::string& param, const Shape& shape) const {
  return shape.size() >= 2 && std::find(no_decay.begin(), no_decay.end(), param) == no_decay.end();
}

bool FamilySpec::hf_is_transposed(const std::string& param) const {
  return std::any_of(hf_transposed.begin(), hf_transposed.end(),
                     [&](const std::string& s) { return ends_with_parts(param, s); });
}

bool FamilySpec::hf_is_buffer(const std::string& param) const {
  return std::any_of(hf_buffers.begin(), hf_buffers.end(), [&](const std::string& s) { return ends_with_parts(param, s); });
}

const FamilySpec& family_spec(Family family) {
  for (const FamilySpec& f : registry())
    if (f.family == family) return f;
  FORGE_THROW("model family " << static_cast<int>(family) << " is not registered");
}

const FamilySpec& family_spec(const std::string& name) {
  for (const FamilySpec& f : registry())
    if (f.name == name) return f;
  std::ostringstream known;
  for (const FamilySpec& f : registry()) known << (known.tellp() > 0 ? ", " : "") << f.name;
  FORGE_THROW("unknown model family '" << name << "' (known: " << known.str() << ")");
}

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const FamilySpec& f : registry()) names.push_back(f.name);
  return names;
}

std::unique_ptr<TransformerLM> build_model(const ModelConfig& config, uint64_t seed, const ModelParallelism& parallel) {
  return family_spec(config.family).build(config, seed, parallel);
}

}  // namespace forge::nn
