// Hugging Face model folders: config.json both ways (incl. the real GPT-2 and
// TinyLlama files' contents), parameter names/shapes against TransformerLM,
// the GPT-2 Conv1D transposes, and importing files shaped like the Hub's
// (no `transformer.` prefix, attention-mask buffers, stored tied head, F16).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "nn/transformer.h"
#include "checkpoint/hf_model.h"
#include "io/safetensors.h"
#include "tests/test_util.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

fs::path temp_dir() { return testing::fresh_test_dir("forge_hf_model_"); }

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return a.shape() == b.shape() && std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

void expect_same_model(const nn::ModelConfig& a, const nn::ModelConfig& b) {
  EXPECT_EQ(a.family, b.family);
  EXPECT_EQ(a.n_layer, b.n_layer);
  EXPECT_EQ(a.n_head, b.n_head);
  EXPECT_EQ(a.kv_heads(), b.kv_heads());
  EXPECT_EQ(a.n_embd, b.n_embd);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.block_size, b.block_size);
  EXPECT_EQ(a.ffn_dim(), b.ffn_dim());
  EXPECT_EQ(a.norm_eps, b.norm_eps);
  EXPECT_EQ(a.tie_embeddings, b.tie_embeddings);
  if (a.family == nn::Family::llama) EXPECT_EQ(a.rope_theta, b.rope_theta);
}

nn::ModelConfig llama_tied() {
  nn::ModelConfig c = nn::preset("llama-test");
  c.tie_embeddings = true;
  c.n_kv_head = 0;  // multi-head
  return c;
}

TEST(HfModel, ParameterShapesAreTransformerLMs) {
  for (const nn::ModelConfig& c : {nn::preset("gpt2-test"), nn::preset("llama-test"), llama_tied()}) {
    nn::TransformerLM model(c, 1);
    const auto params = model.named_parameters();
    const auto shapes = model_parameter_shapes(c);
    ASSERT_EQ(params.size(), shapes.size()) << nn::family_name(c.family);
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_EQ(params[i].first, shapes[i].first);
      EXPECT_EQ(params[i].second.shape(), shapes[i].second) << params[i].first;
    }
    EXPECT_EQ(parameter_mismatches(c, params), "");
  }
}

TEST(HfModel, ConfigJsonRoundTrip) {
  nn::ModelConfig g = nn::preset("gpt2-test");
  g.norm_eps = 1e-6;
  nn::ModelConfig l = nn::preset("llama-test");
  l.rope_theta = 500000.0;
  for (const nn::ModelConfig& c : {g, l, llama_tied()}) {
    const std::string text = hf_config_json(c);
    expect_same_model(model_config_from_hf_json(text, "config.json"), c);
  }
  EXPECT_NE(hf_config_json(g).find("\"GPT2LMHeadModel\""), std::string::npos);
  EXPECT_NE(hf_config_json(l).find("\"LlamaForCausalLM\""), std::string::npos);
}

TEST(HfModel, ReadsTheHubsGpt2AndTinyLlamaConfigs) {
  const char* gpt2 = R"({"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
    "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12,
    "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null, "summary_first_dropout": 0.1,
    "summary_proj_to_labels": true, "summary_type": "cls_index", "summary_use_proj": true,
    "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}}, "vocab_size": 50257})";
  const nn::ModelConfig g = model_config_from_hf_json(gpt2, "gpt2/config.json");
  EXPECT_EQ(g.family, nn::Family::gpt2);
  EXPECT_EQ(g.n_layer, 12);
  EXPECT_EQ(g.n_head, 12);
  EXPECT_EQ(g.n_embd, 768);
  EXPECT_EQ(g.vocab_size, 50257);
  EXPECT_EQ(g.block_size, 1024);
  EXPECT_EQ(g.ffn_dim(), 3072);
  EXPECT_EQ(g.norm_eps, 1e-5);
  EXPECT_EQ(g.dropout, 0.1);
  EXPECT_TRUE(g.tie_embeddings);

  const char* tinyllama = R"({"architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2,
    "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 5632,
    "max_position_embeddings": 2048, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 22,
    "num_key_value_heads": 4, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "rope_theta": 10000.0,
    "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.35.0", "use_cache": true,
    "vocab_size": 32000})";
  const nn::ModelConfig l = model_config_from_hf_json(tinyllama, "tinyllama/config.json");
  EXPECT_EQ(l.family, nn::Family::llama);
  EXPECT_EQ(l.n_layer, 22);
  EXPECT_EQ(l.n_head, 32);
  EXPECT_EQ(l.kv_heads(), 4);
  EXPECT_EQ(l.n_embd, 2048);
  EXPECT_EQ(l.ffn_dim(), 5632);
  EXPECT_EQ(l.vocab_size, 32000);
  EXPECT_EQ(l.block_size, 2048);
  EXPECT_EQ(l.norm_eps, 1e-5);
  EXPECT_EQ(l.rope_theta, 10000.0);
  EXPECT_FALSE(l.tie_embeddings);
}

TEST(HfModel, ConfigErrorsNameTheFileAndKey) {
  const std::string base = R"("model_type": "llama", "hidden_size": 32, "intermediate_size": 64,
    "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 64)";
  auto err = [](const std::string& text) { return error_of([&] { model_config_from_hf_json(text, "m/config.json"); }); };
  EXPECT_NO_THROW(model_config_from_hf_json("{" + base + "}", "m/config.json"));
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"{not json", "'m/config.json' is not valid JSON"},
           {R"({"model_type": "mistral"})", "'m/config.json': model_type 'mistral' is not supported"},
           {R"({"model_type": "llama", "hidden_size": 32})", "'m/config.json': missing 'num_hidden_layers'"},
           {R"({"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "vocab_size": 9})",
            "'m/config.json': missing 'n_positions'"},
           {R"({"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "vocab_size": 9, "n_positions": 4,
              "activation_function": 3})",
            "'m/config.json': a field has the wrong type"},
           {"{" + base + R"(, "rope_scaling": {"type": "linear", "factor": 2.0}})", "'rope_scaling' is {"},
           {"{" + base + R"(, "attention_bias": true})", "'attention_bias' is true"},
           {"{" + base + R"(, "hidden_act": "gelu"})", "'hidden_act' is \"gelu\""},
           {"{" + base + R"(, "num_key_value_heads": 3})", "describes a model forge cannot build"},
           {"{" + base + R"(, "architectures": ["LlamaForSequenceClassification"]})",
            "architecture \"LlamaForSequenceClassification\" is not supported"},
           {R"({"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "vocab_size": 9, "n_positions": 4,
              "activation_function": "relu"})",
            "activation_function 'relu' is not supported"},
           {R"({"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "vocab_size": 9, "n_positions": 4,
              "tie_word_embeddings": false})",
            "'tie_word_embeddings' is false"},
           {R"({"model_type": "gpt2", "n_layer": "1", "n_head": 2, "n_embd": 8, "vocab_size": 9, "n_positions": 4})",
            "'n_layer' must be an integer"},
       }) {
    const std::string msg = err(text);
    EXPECT_NE(msg.find(expected), std::string::npos) << "expected '" << expected << "' in: " << msg;
  }
}

// A model's parameters filled with distinct values, so any misplaced or
// untransposed tensor shows.
nn::TransformerLM& fill_distinct(nn::TransformerLM& model) {
  float v = 0.0f;
  for (const auto& [name, p] : model.named_parameters()) {
    float* d = p.data<float>();
    for (int64_t i = 0; i < p.numel(); ++i) d[i] = (v += 0.001f);
  }
  return model;
}

TEST(HfModel, ExportTransposesGpt2Conv1DAndImportRestoresBitExactly) {
  for (const nn::ModelConfig& c : {nn::preset("gpt2-test"), nn::preset("llama-test"), llama_tied()}) {
    const fs::path dir = temp_dir() / nn::family_name(c.family);
    fs::create_directories(dir);
    nn::TransformerLM model(c, 3);
    const auto params = fill_distinct(model).named_parameters();
    write_hf_model((dir / "model.safetensors").string(), c, params);
    ASSERT_TRUE(fs::exists(dir / "config.json"));

    SafetensorsFile file((dir / "model.safetensors").string());
    EXPECT_EQ(file.metadata().at("format"), "pt");
    EXPECT_EQ(file.entries().size(), params.size());
    EXPECT_EQ(file.find("lm_head.weight") != nullptr, !c.tie_embeddings);
    for (const auto& [name, p] : params) {
      ASSERT_NE(file.find(name), nullptr) << name;
      const bool conv1d = c.family == nn::Family::gpt2 && p.dim() == 2 && name.find(".h.") != std::string::npos;
      EXPECT_TRUE(bitwise_equal(file.read_f32(name), conv1d ? p.transpose(0, 1) : p)) << name;
    }

    const HfModel back = read_hf_model((dir / "model.safetensors").string());
    expect_same_model(back.config, c);
    EXPECT_TRUE(back.dropped.empty());
    EXPECT_EQ(parameter_mismatches(c, back.tensors), "");
    ASSERT_EQ(back.tensors.size(), params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_EQ(back.tensors[i].first, params[i].first);
      EXPECT_TRUE(bitwise_equal(back.tensors[i].second, params[i].second)) << params[i].first;
    }
  }
}

TEST(HfModel, ExportsBf16AndF16RoundedToNearestEven) {
  const nn::ModelConfig c = nn::preset("llama-test");
  nn::TransformerLM model(c, 3);
  const auto params = fill_distinct(model).named_parameters();
  for (DType dtype : {DType::bf16, DType::f16}) {
    const fs::path dir = temp_dir();
    write_hf_model((dir / "model.safetensors").string(), c, params, dtype);
    SafetensorsFile file((dir / "model.safetensors").string());
    for (const auto& [name, p] : params) {
      ASSERT_NE(file.find(name), nullptr) << name;
      EXPECT_EQ(file.find(name)->dtype, dtype == DType::bf16 ? "BF16" : "F16") << name;
    }
    std::ifstream config(dir / "config.json");
    std::stringstream text;
    text << config.rdbuf();
    EXPECT_NE(text.str().find(dtype == DType::bf16 ? "\"torch_dtype\": \"bfloat16\"" : "\"torch_dtype\": \"float16\""),
              std::string::npos)
        << text.str();
    // Imported back (to fp32) the values are exactly the rounded ones.
    const HfModel back = read_hf_model((dir / "model.safetensors").string());
    for (size_t i = 0; i < params.size(); ++i)
      EXPECT_TRUE(bitwise_equal(back.tensors[i].second, params[i].second.to(dtype).to(DType::f32))) << params[i].first;
  }
  EXPECT_THROW(write_hf_model((temp_dir() / "model.safetensors").string(), c, params, DType::f64), Error);
}

TEST(HfModel, ImportsHubStyleGpt2FileWithoutPrefixWithBuffersAndStoredHead) {
  const fs::path dir = temp_dir();
  const nn::ModelConfig c = nn::preset("gpt2-test");
  nn::TransformerLM model(c, 5);
  const auto params = fill_distinct(model).named_parameters();
  // As the Hub's gpt2/model.safetensors: bare GPT2Model names, Conv1D layout,
  // the causal-mask buffers, and the tied head stored again.
  NamedTensors hub;
  Tensor wte;
  for (const auto& [name, p] : params) {
    const std::string bare = name.substr(std::string("transformer.").size());
    const bool conv1d = p.dim() == 2 && name.find(".h.") != std::string::npos;
    hub.push_back({bare, conv1d ? p.transpose(0, 1) : p});
    if (bare == "wte.weight") wte = p;
  }
  hub.push_back({"h.0.attn.bias", Tensor::ones({1, 1, c.block_size, c.block_size})});
  hub.push_back({"h.1.attn.masked_bias", Tensor::full({}, -1e4)});
  hub.push_back({"lm_head.weight", wte});
  write_safetensors((dir / "model.safetensors").string(), hub);
  std::ofstream(dir / "config.json") << hf_config_json(c);

  const HfModel m = read_hf_model((dir / "model.safetensors").string());
  EXPECT_EQ(m.dropped, (std::vector<std::string>{"h.0.attn.bias", "h.1.attn.masked_bias", "lm_head.weight"}));
  EXPECT_EQ(parameter_mismatches(c, m.tensors), "");
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(m.tensors[i].first, params[i].first);
    EXPECT_TRUE(bitwise_equal(m.tensors[i].second, params[i].second)) << params[i].first;
  }

  // A stored head that is not the embedding cannot be tied.
  hub.back().second = Tensor::zeros(wte.shape());
  write_safetensors((dir / "model.safetensors").string(), hub);
  const std::string msg = error_of([&] { read_hf_model((dir / "model.safetensors").string()); });
  EXPECT_NE(msg.find("lm_head.weight differs from transformer.wte.weight"), std::string::npos) << msg;
}

TEST(HfModel, MismatchesListEveryOffendingNameWithBothShapes) {
  const nn::ModelConfig c = nn::preset("llama-test");
  nn::TransformerLM model(c, 1);
  NamedTensors t = model.named_parameters();
  t.erase(t.begin() + 1);                                              // model.layers.0.input_layernorm.weight
  t[0].second = Tensor::zeros({65, 32});                               // model.embed_tokens.weight
  t.push_back({"model.layers.9.mlp.up_proj.weight", Tensor::zeros({2, 2})});
  const std::string m = parameter_mismatches(c, t);
  EXPECT_NE(m.find("model.embed_tokens.weight: expected (64, 32), found (65, 32)"), std::string::npos) << m;
  EXPECT_NE(m.find("model.layers.0.input_layernorm.weight: missing, expected (32)"), std::string::npos) << m;
  EXPECT_NE(m.find("model.layers.9.mlp.up_proj.weight: unexpected (2, 2)"), std::string::npos) << m;
  const std::string msg = error_of([&] { write_hf_model((temp_dir() / "model.safetensors").string(), c, t); });
  EXPECT_NE(msg.find("model.embed_tokens.weight: expected (64, 32), found (65, 32)"), std::string::npos) << msg;
}

TEST(HfModel, MissingConfigJsonIsAnError) {
  const fs::path dir = temp_dir();
  write_safetensors((dir / "model.safetensors").string(), {{"w", Tensor::zeros({1})}});
  const std::string msg = error_of([&] { read_hf_model((dir / "model.safetensors").string()); });
  EXPECT_NE(msg.find("needs its config.json next to it"), std::string::npos) << msg;
}

}  // namespace
}  // namespace forge::recipes
