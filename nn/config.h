// ModelConfig: one description for both model families, and the named presets.
#pragma once

#include <string>
#include <vector>

#include <cstdint>

namespace forge::nn {

enum class Family { gpt2, llama };

struct ModelConfig {
  Family family = Family::gpt2;
  int64_t n_layer = 2;
  int64_t n_head = 2;
  int64_t n_kv_head = 0;     // 0 = n_head (multi-head); fewer = grouped-query (llama)
  int64_t n_embd = 64;
  int64_t vocab_size = 256;
  int64_t block_size = 64;   // longest sequence (GPT-2's learned positions)
  int64_t ffn_hidden = 0;    // 0 = default_ffn_hidden(family, n_embd)
  double rope_theta = 10000.0;
  double norm_eps = 1e-5;
  double dropout = 0.0;
  bool tie_embeddings = true;  // gpt2 always ties; llama usually not

  int64_t head_dim() const { return n_embd / n_head; }
  int64_t kv_heads() const { return n_kv_head > 0 ? n_kv_head : n_head; }
  int64_t ffn_dim() const;
  // Throws forge::Error naming the first inconsistent field.
  void validate() const;
  // Parameters that are matmul weights count 6 FLOPs per token per weight;
  // this is the 6N + 12*L*C*T model-FLOPs estimate per token used for MFU.
  double flops_per_token(int64_t num_params, int64_t seq_len) const;
};

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
