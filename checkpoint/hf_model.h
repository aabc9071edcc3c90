// Hugging Face model folders: `config.json` <-> nn::ModelConfig and
// `model.safetensors` <-> forge's parameters, for GPT2LMHeadModel and
// LlamaForCausalLM (docs/interop.md).
//
// forge already uses Hugging Face's parameter names, so the mapping is a copy
// except for these differences:
// - GPT-2's attn.c_attn, attn.c_proj, mlp.c_fc and mlp.c_proj weights are
//   Conv1D in Hugging Face, stored (in_features, out_features): transposed on
//   export and back on import.
// - GPT-2's LM head is tied to wte and not stored (nor is Llama's when
//   tie_word_embeddings). An imported file may still carry lm_head.weight; it
//   must then equal the embedding and is dropped.
// - Hugging Face GPT-2 files may carry the attention-mask buffers
//   `attn.bias` / `attn.masked_bias`, and older Llama files
//   `rotary_emb.inv_freq`: dropped on import. GPT-2 files saved from the bare
//   GPT2Model lack the `transformer.` prefix: added on import.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"
#include "nn/config.h"

namespace forge::recipes {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// config.json text (pretty-printed) describing `config` to `transformers`.
// `dtype` (f32, bf16 or f16) is recorded as torch_dtype.
std::string hf_config_json(const nn::ModelConfig& config, DType dtype = DType::f32);
// The ModelConfig a config.json describes. `source` names the file in errors:
// unknown model_type, missing size keys, or features forge's models lack
// (rope_scaling, attention biases, a different activation) are forge::Error.
nn::ModelConfig model_config_from_hf_json(const std::string& json_text, const std::string& source);

// forge's parameter names and shapes for `config`, in model order (the order
// nn::TransformerLM registers them), without building the model.
std::vector<std::pair<std::string, Shape>> model_parameter_shapes(const nn::ModelConfig& config);

// Every name of `tensors` that is missing from, unexpected in or shaped
// differently from model_parameter_shapes(config), one per line with both
// shapes; "" when they match exactly.
std::string parameter_mismatches(const nn::ModelConfig& config, const NamedTensors& tensors);

// Writes `model` (forge names and layout; exactly the parameters of `config`)
// as Hugging Face `model.safetensors` at `safetensors_path` and `config.json`
// in the same folder. The weights are stored in `dtype`: f32 (exact), bf16 or
// f16 (rounded to nearest even; torch_dtype says which).
void write_hf_model(const std::string& safetensors_path, const nn::ModelConfig& config, const NamedTensors& model,
                    DType dtype = DType::f32);

struct HfModel {
  nn::ModelConfig config;            // from config.json
  NamedTensors tensors;              // forge names and layout, in file order
  std::vector<std::string> dropped;  // buffers and tied heads that were not kept (file names)
};

// Reads `safetensors_path` and the config.json next to it, mapping names and
// layouts to forge's. Tensors are not checked against the config here (see
// parameter_mismatches); a stored tied head that differs from the embedding is
// a forge::Error.
HfModel read_hf_model(const std::string& safetensors_path);

}  // namespace forge::recipes
