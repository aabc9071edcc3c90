// Text samples during training (see training_sample.h).
#include "train/training_sample.h"

#include <algorithm>

#include "common/error.h"
#include "data/tokenizer_files.h"
#include "nn/transformer.h"

namespace forge::recipes {

TrainingSampler::TrainingSampler(const Recipe& r, const nn::ModelConfig& c, int64_t first_data_token)
    : tokenizer_(data::load_tokenizer(r.data.tokenizer)) {
  FORGE_CHECK(tokenizer_.vocab_size() <= c.vocab_size,
              "data.tokenizer '" << r.data.tokenizer << "' has " << tokenizer_.vocab_size()
                                 << " tokens, more than model.vocab_size " << c.vocab_size);
  if (r.train.sample_prompt.empty()) {
    FORGE_CHECK(first_data_token >= 0 && first_data_token < tokenizer_.vocab_size(),
                "the training data's first token id " << first_data_token << " is outside data.tokenizer '"
                                                      << r.data.tokenizer << "' (" << tokenizer_.vocab_size()
                                                      << " tokens): were the shards made with another tokenizer?");
    prompt_.push_back(first_data_token);
  } else {
    for (int32_t id : tokenizer_.encode(r.train.sample_prompt)) prompt_.push_back(id);
    prompt_text_ = r.train.sample_prompt;
  }
  const int64_t P = static_cast<int64_t>(prompt_.size());
  FORGE_CHECK(P < c.block_size, "train.sample_prompt is " << P << " tokens, leaving no room to generate within "
                                                          << "model.block_size " << c.block_size);
  options_.max_new_tokens = std::min(r.train.sample_tokens, c.block_size - P);
  options_.temperature = r.train.sample_temperature;
  options_.top_k = r.train.sample_top_k;
  options_.seed = static_cast<uint64_t>(r.seed);
  options_.stop_token = tokenizer_.eot_id();
  options_.vocab_limit = tokenizer_.vocab_size();
}

std::string TrainingSampler::sample(const nn::TransformerLM& model) const {
  const std::vector<int64_t> generated = nn::generate(model, prompt_, options_);
  std::vector<int32_t> ids;
  if (prompt_text_.empty()) ids.push_back(static_cast<int32_t>(prompt_[0]));  // the data token is part of the text
  ids.insert(ids.end(), generated.begin(), generated.end());
  return prompt_text_ + tokenizer_.decode(ids);
}

}  // namespace forge::recipes
