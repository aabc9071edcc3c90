// The model families (GPT-2, Llama) as a registry: each family carries its
// name (recipe `model.family`, checkpoint `/config`, Hugging Face
// `model_type`), its Hugging Face names (architecture, embedding and head
// parameters, the tensors conversion transposes or drops), its weight-decay
// rule and the builder of its model. Code outside nn/ asks the family instead of
// matching parameter names itself.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/config.h"
#include "nn/transformer.h"

namespace forge::nn {

struct FamilySpec {
  Family family;
  std::string name;             // "gpt2"
  std::string hf_architecture;  // "GPT2LMHeadModel"
  std::string embedding;        // token embedding parameter: "transformer.wte.weight"
  std::string lm_head;          // untied LM head parameter: "lm_head.weight"
  // Matrices that get no weight decay (the embeddings); vectors (biases, norm
  // weights) never get any.
  std::vector<std::string> no_decay;
  // Hugging Face interop (checkpoint/hf_model.h): weights stored transposed
  // there (GPT-2's Conv1D), named by their last name parts ("attn.c_attn.weight");
  // buffers a file may carry that are not parameters ("attn.bias"); the prefix
  // files of the bare base model lack ("transformer.").
  std::vector<std::string> hf_transposed;
  std::vector<std::string> hf_buffers;
  std::string hf_base_prefix;
  // Builds the family's model (this rank's part of it under `parallel`).
  std::function<std::unique_ptr<TransformerLM>(const ModelConfig&, uint64_t seed, const ModelParallelism&)> build;

  // Whether the optimizer applies weight decay to `name` of `shape`.
  bool decays(const std::string& name, const Shape& shape) const;
  // The token embedding or the untied LM head: the tables with one row per token.
  bool is_vocab_table(const std::string& name) const { return name == embedding || name == lm_head; }
  bool hf_is_transposed(const std::string& name) const;
  bool hf_is_buffer(const std::string& name) const;
};

const FamilySpec& family_spec(Family family);
// An unknown name is a forge::Error listing the known ones.
const FamilySpec& family_spec(const std::string& name);
// Registered names in registration order ("gpt2", "llama").
std::vector<std::string> family_names();

// The model of `config`, built by its family's builder.
std::unique_ptr<TransformerLM> build_model(const ModelConfig& config, uint64_t seed, const ModelParallelism& parallel = {});

}  // namespace forge::nn
