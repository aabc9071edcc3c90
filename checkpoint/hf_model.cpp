// Hugging Face config.json and model.safetensors <-> forge (see hf_model.h).
#include "checkpoint/hf_model.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/safetensors.h"
#include "nn/model_family.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;
using nn::Family;
using nn::ModelConfig;

// ---- config.json fields ------------------------------------------------

int64_t required_int(const Json& j, const std::string& key, const std::string& source) {
  FORGE_CHECK(j.contains(key) && !j[key].is_null(), "'" << source << "': missing '" << key << "'");
  FORGE_CHECK(j[key].is_number_integer(), "'" << source << "': '" << key << "' must be an integer, got " << j[key].dump());
  return j[key].get<int64_t>();
}

// `key` must be absent or equal `expected` (JSON equality): a feature forge's models lack.
void require_value(const Json& j, const std::string& key, const Json& expected, const std::string& source,
                   const char* why) {
  if (!j.contains(key)) return;
  FORGE_CHECK(j[key] == expected, "'" << source << "': '" << key << "' is " << j[key].dump() << " but forge supports only "
                                      << expected.dump() << " (" << why << ")");
}

// A config.json key that carries one field of nn's model field table
// (nn/config.h): written from the resolved config on export; on import read
// (in list order, so the first missing required key is the one named) with
// `fallback` when absent or null, or required when there is none.
struct HfKey {
  std::string field;  // "n_layer"
  std::string key;    // "num_hidden_layers"
  std::optional<Json> fallback;
};

// One supported Hugging Face architecture (names: the family's, nn/model_family.h):
// the keys that carry fields, and what the keys no field carries need.
struct HfArchitecture {
  std::vector<HfKey> keys;
  // Constants written on export after the keys (activation, biases, ...).
  std::function<void(const ModelConfig&, OrderedJson&)> constants;
  // Import: key aliases resolved in `j` before the keys are read, then checks
  // for features forge's models lack.
  std::function<void(Json& j)> aliases;
  std::function<void(const Json& j, const ModelConfig&, const std::string& source)> checks;
};

const HfArchitecture& gpt2_architecture() {
  static const HfArchitecture a{
      {{"n_layer", "n_layer", {}},
       {"n_head", "n_head", {}},
       {"n_embd", "n_embd", {}},
       {"vocab_size", "vocab_size", {}},
       {"block_size", "n_positions", {}},
       {"ffn_hidden", "n_inner", 0},  // null: 4 * n_embd
       {"norm_eps", "layer_norm_epsilon", 1e-5},
       {"dropout", "resid_pdrop", 0.1}},
      [](const ModelConfig& c, OrderedJson& j) {
        j["n_ctx"] = c.block_size;
        j["activation_function"] = "gelu_new";  // tanh approximation, as forge's gelu
        j["embd_pdrop"] = c.dropout;
        j["attn_pdrop"] = 0.0;  // forge does not drop attention probabilities
        j["initializer_range"] = 0.02;
        j["scale_attn_weights"] = true;
        j["tie_word_embeddings"] = true;
      },
      [](Json& j) {
        if (j.contains("n_ctx") && !j.contains("n_positions")) j["n_positions"] = j["n_ctx"];
      },
      [](const Json& j, const ModelConfig&, const std::string& src) {
        const std::string act = j.contains("activation_function") ? j["activation_function"].get<std::string>() : "gelu_new";
        FORGE_CHECK(act == "gelu_new" || act == "gelu_pytorch_tanh",
                    "'" << src << "': activation_function '" << act
                        << "' is not supported; forge's GPT-2 uses the tanh GELU (gelu_new or gelu_pytorch_tanh)");
        require_value(j, "tie_word_embeddings", true, src, "GPT-2's LM head is tied to wte");
        require_value(j, "scale_attn_weights", true, src, "attention scores are scaled by 1/sqrt(head_dim)");
        require_value(j, "scale_attn_by_inverse_layer_idx", false, src, "no per-layer attention scaling");
        require_value(j, "add_cross_attention", false, src, "decoder-only models");
      }};
  return a;
}

const HfArchitecture& llama_architecture() {
  static const HfArchitecture a{
      {{"n_layer", "num_hidden_layers", {}},
       {"n_head", "num_attention_heads", {}},
       {"n_kv_head", "num_key_value_heads", 0},  // 0: num_attention_heads
       {"n_embd", "hidden_size", {}},
       {"ffn_hidden", "intermediate_size", {}},
       {"vocab_size", "vocab_size", {}},
       {"block_size", "max_position_embeddings", 2048},  // transformers' default
       {"norm_eps", "rms_norm_eps", 1e-6},
       {"rope_theta", "rope_theta", 10000.0},
       {"tie_embeddings", "tie_word_embeddings", false}},  // LlamaConfig's default
      [](const ModelConfig&, OrderedJson& j) {
        j["hidden_act"] = "silu";
        j["rope_scaling"] = nullptr;
        j["attention_bias"] = false;
        j["attention_dropout"] = 0.0;  // forge's dropout is not representable; read back as 0
        j["pretraining_tp"] = 1;
        j["initializer_range"] = 0.02;
      },
      [](Json&) {},
      [](const Json& j, const ModelConfig& c, const std::string& src) {
        require_value(j, "hidden_act", "silu", src, "forge's Llama MLP is SwiGLU");
        require_value(j, "rope_scaling", nullptr, src, "plain RoPE without scaling");
        require_value(j, "attention_bias", false, src, "Llama projections have no biases");
        require_value(j, "mlp_bias", false, src, "Llama projections have no biases");
        if (j.contains("head_dim") && !j["head_dim"].is_null())
          FORGE_CHECK(c.n_head > 0 && required_int(j, "head_dim", src) * c.n_head == c.n_embd,
                      "'" << src << "': head_dim " << j["head_dim"].dump()
                          << " is not hidden_size / num_attention_heads (" << c.n_embd << " / " << c.n_head
                          << "), which forge requires");
      }};
  return a;
}

// model_type (the family's name) -> architecture.
const std::map<std::string, const HfArchitecture*>& architectures() {
  static const std::map<std::string, const HfArchitecture*> a = {
      {"gpt2", &gpt2_architecture()},
      {"llama", &llama_architecture()},
  };
  return a;
}

const nn::ModelField& field_of(const HfKey& k) {
  const nn::ModelField* f = nn::find_model_field(k.field);
  FORGE_CHECK(f != nullptr, "config.json key '" << k.key << "' names no model field '" << k.field << "'");
  return *f;
}

void write_key(const HfKey& k, const ModelConfig& c, OrderedJson& j) {
  std::visit([&](auto member) { j[k.key] = c.*member; }, field_of(k).member);
}

void read_key(const HfKey& k, const Json& j, ModelConfig& c, const std::string& src) {
  const bool given = j.contains(k.key) && !j[k.key].is_null();
  FORGE_CHECK(given || k.fallback, "'" << src << "': missing '" << k.key << "'");
  const Json& v = given ? j[k.key] : *k.fallback;
  std::visit(
      [&](auto member) {
        using T = std::decay_t<decltype(c.*member)>;
        if constexpr (std::is_same_v<T, bool>) {
          FORGE_CHECK(v.is_boolean(), "'" << src << "': '" << k.key << "' must be true or false, got " << v.dump());
        } else if constexpr (std::is_same_v<T, double>) {
          FORGE_CHECK(v.is_number(), "'" << src << "': '" << k.key << "' must be a number, got " << v.dump());
        } else {
          FORGE_CHECK(v.is_number_integer(), "'" << src << "': '" << k.key << "' must be an integer, got " << v.dump());
        }
        c.*member = v.get<T>();
      },
      field_of(k).member);
}

// ---- weights -------------------------------------------------------------

Tensor transposed(const Tensor& t) { return t.detach().transpose(0, 1).contiguous(); }

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return false;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  FORGE_CHECK(in, "cannot read '" << path.string() << "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string hf_config_json(const ModelConfig& config, DType dtype) {
  FORGE_CHECK(dtype == DType::f32 || dtype == DType::bf16 || dtype == DType::f16,
              "Hugging Face export: dtype must be f32, bf16 or f16, got " << dtype_name(dtype));
  config.validate();
  const nn::FamilySpec& family = nn::family_spec(config.family);
  const HfArchitecture& arch = *architectures().at(family.name);
  const ModelConfig resolved = config.resolved();
  OrderedJson j;
  j["architectures"] = OrderedJson::array({family.hf_architecture});
  j["model_type"] = family.name;
  for (const HfKey& k : arch.keys) write_key(k, resolved, j);
  arch.constants(resolved, j);
  j["torch_dtype"] = dtype == DType::bf16 ? "bfloat16" : dtype == DType::f16 ? "float16" : "float32";
  return j.dump(2) + "\n";
}

ModelConfig model_config_from_hf_json(const std::string& json_text, const std::string& source) {
  Json j;
  try {
    j = Json::parse(json_text);
  } catch (const Json::exception& e) {
    FORGE_THROW("'" << source << "' is not valid JSON: " << e.what());
  }
  FORGE_CHECK(j.is_object(), "'" << source << "' must hold a JSON object, got a " << j.type_name());
  FORGE_CHECK(j.contains("model_type") && j["model_type"].is_string(), "'" << source << "': missing 'model_type'");
  const std::string type = j["model_type"].get<std::string>();
  auto it = architectures().find(type);
  FORGE_CHECK(it != architectures().end(), "'" << source << "': model_type '" << type
                                               << "' is not supported (forge reads gpt2 and llama)");
  const std::string& architecture = nn::family_spec(type).hf_architecture;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty())
    FORGE_CHECK(j["architectures"][0] == architecture,
                "'" << source << "': architecture " << j["architectures"][0].dump() << " is not supported for model_type '"
                    << type << "' (forge reads " << architecture << ")");
  const HfArchitecture& arch = *it->second;
  ModelConfig c;  // fields no key carries keep ModelConfig's defaults
  c.family = nn::family_spec(type).family;
  try {
    arch.aliases(j);
    for (const HfKey& k : arch.keys) read_key(k, j, c, source);
    arch.checks(j, c, source);
  } catch (const nlohmann::json::exception& e) {
    FORGE_THROW("'" << source << "': a field has the wrong type: " << e.what());
  }
  try {
    c.validate();
  } catch (const Error& e) {
    FORGE_THROW("'" << source << "' describes a model forge cannot build: " << e.what());
  }
  return c;
}

std::vector<std::pair<std::string, Shape>> model_parameter_shapes(const ModelConfig& c) {
  c.validate();
  const int64_t C = c.n_embd, F = c.ffn_dim(), V = c.vocab_size, D = c.head_dim();
  std::vector<std::pair<std::string, Shape>> out;
  if (c.family == Family::gpt2) {
    out.push_back({"transformer.wte.weight", {V, C}});
    out.push_back({"transformer.wpe.weight", {c.block_size, C}});
    for (int64_t i = 0; i < c.n_layer; ++i) {
      const std::string p = "transformer.h." + std::to_string(i) + ".";
      out.push_back({p + "ln_1.weight", {C}});
      out.push_back({p + "ln_1.bias", {C}});
      out.push_back({p + "attn.c_attn.weight", {3 * C, C}});
      out.push_back({p + "attn.c_attn.bias", {3 * C}});
      out.push_back({p + "attn.c_proj.weight", {C, C}});
      out.push_back({p + "attn.c_proj.bias", {C}});
      out.push_back({p + "ln_2.weight", {C}});
      out.push_back({p + "ln_2.bias", {C}});
      out.push_back({p + "mlp.c_fc.weight", {F, C}});
      out.push_back({p + "mlp.c_fc.bias", {F}});
      out.push_back({p + "mlp.c_proj.weight", {C, F}});
      out.push_back({p + "mlp.c_proj.bias", {C}});
    }
    out.push_back({"transformer.ln_f.weight", {C}});
    out.push_back({"transformer.ln_f.bias", {C}});
  } else {
    out.push_back({"model.embed_tokens.weight", {V, C}});
    for (int64_t i = 0; i < c.n_layer; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      out.push_back({p + "input_layernorm.weight", {C}});
      out.push_back({p + "self_attn.q_proj.weight", {c.n_head * D, C}});
      out.push_back({p + "self_attn.k_proj.weight", {c.kv_heads() * D, C}});
      out.push_back({p + "self_attn.v_proj.weight", {c.kv_heads() * D, C}});
      out.push_back({p + "self_attn.o_proj.weight", {C, c.n_head * D}});
      out.push_back({p + "post_attention_layernorm.weight", {C}});
      out.push_back({p + "mlp.gate_proj.weight", {F, C}});
      out.push_back({p + "mlp.up_proj.weight", {F, C}});
      out.push_back({p + "mlp.down_proj.weight", {C, F}});
    }
    out.push_back({"model.norm.weight", {C}});
    if (!c.tie_embeddings) out.push_back({"lm_head.weight", {V, C}});
  }
  return out;
}

std::string parameter_mismatches(const ModelConfig& config, const NamedTensors& tensors) {
  const auto expected = model_parameter_shapes(config);
  std::map<std::string, Shape> want(expected.begin(), expected.end());
  std::map<std::string, int> seen;
  std::ostringstream out;
  for (const auto& [name, t] : tensors) {
    if (++seen[name] == 2) out << "  " << name << ": given more than once\n";
    auto it = want.find(name);
    if (it == want.end()) out << "  " << name << ": unexpected " << shape_str(t.shape()) << "\n";
    else if (it->second != t.shape())
      out << "  " << name << ": expected " << shape_str(it->second) << ", found " << shape_str(t.shape()) << "\n";
  }
  for (const auto& [name, shape] : expected)
    if (!seen.count(name)) out << "  " << name << ": missing, expected " << shape_str(shape) << "\n";
  return out.str();
}

void write_hf_model(const std::string& safetensors_path, const ModelConfig& config, const NamedTensors& model,
                    DType dtype) {
  const std::string text = hf_config_json(config, dtype);  // checks dtype before anything is written
  const std::string mismatches = parameter_mismatches(config, model);
  FORGE_CHECK(mismatches.empty(), "cannot export to '" << safetensors_path << "': the weights do not match the "
                                                       << family_name(config.family) << " config:\n" << mismatches);
  const nn::FamilySpec& family = nn::family_spec(config.family);
  NamedTensors hf;
  for (const auto& [name, t] : model) {
    const Tensor stored = family.hf_is_transposed(name) ? transposed(t) : t.detach();
    hf.push_back({name, stored.dtype() == dtype ? stored : stored.to(dtype)});
  }
  const fs::path config_path = fs::path(safetensors_path).parent_path() / "config.json";
  write_safetensors(safetensors_path, hf, {{"format", "pt"}});
  const std::string tmp = config_path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    FORGE_CHECK(out, "cannot write '" << tmp << "'");
  }
  std::error_code ec;
  fs::rename(tmp, config_path, ec);
  FORGE_CHECK(!ec, "cannot write '" << config_path.string() << "': " << ec.message());
}

HfModel read_hf_model(const std::string& safetensors_path) {
  const SafetensorsFile file(safetensors_path);
  const fs::path config_path = fs::path(safetensors_path).parent_path() / "config.json";
  FORGE_CHECK(fs::is_regular_file(config_path), "Hugging Face model '" << safetensors_path << "' needs its config.json next "
                                                                       << "to it; '" << config_path.string()
                                                                       << "' does not exist");
  HfModel m;
  m.config = model_config_from_hf_json(read_text(config_path), config_path.string());
  const nn::FamilySpec& family = nn::family_spec(m.config.family);
  const std::string& embedding = family.embedding;
  Tensor stored_head;  // the LM head of a tied model
  for (const SafetensorsEntry& e : file.entries()) {
    if (family.hf_is_buffer(e.name)) {
      m.dropped.push_back(e.name);
      continue;
    }
    std::string name = e.name;
    if (name == family.lm_head && m.config.tie_embeddings) {
      stored_head = file.read_f32(name);
      continue;
    }
    const std::string& prefix = family.hf_base_prefix;  // files of the bare base model lack it
    if (!prefix.empty() && name.rfind(prefix, 0) != 0) name = prefix + name;
    Tensor t = file.read_f32(e.name);
    if (family.hf_is_transposed(name) && t.dim() == 2) t = transposed(t);
    m.tensors.push_back({name, t});
  }
  if (stored_head.defined()) {
    const Tensor* emb = nullptr;
    for (const auto& [name, t] : m.tensors)
      if (name == embedding) emb = &t;
    if (emb == nullptr) {
      m.tensors.push_back({family.lm_head, stored_head});  // reported as unexpected by parameter_mismatches
    } else {
      FORGE_CHECK(bitwise_equal(*emb, stored_head),
                  "'" << safetensors_path << "': " << family.lm_head << " differs from " << embedding
                      << ", but the model ties them (" << config_path.string() << ")");
      m.dropped.push_back(family.lm_head);
    }
  }
  return m;
}

}  // namespace forge::recipes
