// The text samples `forge train` prints (train.sample_interval, and once at the
// end of training) when the recipe names a tokenizer (data.tokenizer).
//
// The prompt is train.sample_prompt, or when that is empty the first token of
// the first validation window (of the first training batch without validation
// data). Each sample continues it by train.sample_tokens tokens, capped to what
// fits in model.block_size, at temperature 1 with draws from a Philox stream
// seeded by the recipe's seed and used by nothing else: every sample point of
// a run is reproducible, and sampling never moves the dropout stream or the
// data position, so exact resume is unaffected. Generation stops early at
// <|endoftext|>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "nn/generate.h"
#include "recipes/recipe.h"

namespace forge::nn {
class TransformerLM;
struct ModelConfig;
}  // namespace forge::nn

namespace forge::recipes {

class TrainingSampler {
 public:
  // Loads data.tokenizer and encodes the prompt; `first_data_token` is the
  // prompt when train.sample_prompt is empty. Throws forge::Error when the
  // tokenizer is larger than model.vocab_size or the prompt fills block_size.
  TrainingSampler(const Recipe& recipe, const nn::ModelConfig& model_config, int64_t first_data_token);

  // The prompt followed by the model's continuation, as text.
  std::string sample(const nn::TransformerLM& model) const;

 private:
  data::Tokenizer tokenizer_;
  std::vector<int64_t> prompt_;
  std::string prompt_text_;
  nn::GenerateOptions options_;
};

}  // namespace forge::recipes
