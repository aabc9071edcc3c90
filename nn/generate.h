// Autoregressive text generation from a TransformerLM: prompt ids -> new ids.
//
// With a KV cache (the default) the prompt is run through the model once
// (prefill) and then each new token costs one single-position forward that
// attends to the cached keys and values; without it every step recomputes the
// whole sequence (the reference the cache is tested against). Each step turns
// the last position's logits into a token: greedy argmax at temperature 0,
// otherwise logits / temperature -> softmax -> top-k -> top-p (nucleus) ->
// one draw from a Philox Generator seeded by `seed`, so a (model, prompt,
// options) triple always yields the same tokens. Generation runs without
// autograd and never touches any other random stream.
//
// Both families stop at model.block_size positions (GPT-2's learned positions
// end there; Llama was trained no further): prompt + max_new_tokens beyond it
// is an error, there is no sliding window.
#pragma once

#include <cstdint>
#include <vector>

#include "common/philox.h"
#include "nn/transformer.h"

namespace forge::nn {

struct SamplingOptions {
  double temperature = 1.0;  // 0 = greedy (top_k/top_p/seed unused); > 0 divides the logits
  int64_t top_k = 0;         // keep the k most likely tokens; 0 = all
  double top_p = 1.0;        // keep the smallest most-likely set with mass >= top_p; in (0, 1]
  uint64_t seed = 0;         // Philox seed of the draws
};

struct GenerateOptions : SamplingOptions {
  int64_t max_new_tokens = 64;
  int64_t stop_token = -1;  // >= 0: stop once this id is drawn (it is not returned); -1 = never
  int64_t vocab_limit = 0;  // > 0: only ids below it are drawn (a tokenizer smaller than the model's vocabulary)
  bool use_cache = true;    // false: recompute the whole sequence every step
};

// Throws forge::Error naming the offending option (temperature < 0 or not
// finite, top_k < 0, top_p outside (0, 1], max_new_tokens < 0, vocab_limit < 0).
void validate(const GenerateOptions& options);

// The distribution a draw is made from: softmax(logits / temperature) with
// everything outside top-k and outside the top-p nucleus set to 0, renormalised.
// Ties in probability keep the lower id first. Requires temperature > 0.
std::vector<double> sampling_distribution(const std::vector<float>& logits, const SamplingOptions& options);

// One token from `logits` (V): argmax (lowest id on ties) at temperature 0,
// else one draw (one counter of `gen`) from sampling_distribution.
int64_t sample_token(const std::vector<float>& logits, const SamplingOptions& options, Generator& gen);

// prompt: the ids to continue (non-empty, each in [0, vocab_size)) -> the new
// ids only (fewer than max_new_tokens when stop_token was drawn). Throws
// forge::Error when prompt + max_new_tokens exceeds model.block_size.
std::vector<int64_t> generate(const TransformerLM& model, const std::vector<int64_t>& prompt,
                              const GenerateOptions& options);

}  // namespace forge::nn
