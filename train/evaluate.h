// Held-out evaluation behind `forge eval`: mean next-token loss and perplexity
// of a model over every window of a set of token shards, each exactly once.
//
// Windows are consecutive and non-overlapping: window i covers
// tokens[i*T ... i*T+T] (inputs tokens[i*T ... i*T+T-1], targets shifted by
// one), i = 0 .. W-1 with W = (N - 1) / T whole windows of N tokens; the tail
// that does not fill a window is not scored. Windows are run B at a time (the
// last batch holds the remainder) and the loss is the mean over every scored
// target token (SFT shards' masked targets are not scored), so the result does
// not depend on B.
#pragma once

#include <cstdint>
#include <string>

namespace forge::nn {
class TransformerLM;
}

namespace forge::recipes {

struct EvalResult {
  double loss = 0.0;        // mean cross-entropy per scored token (nats)
  double perplexity = 0.0;  // exp(loss)
  int64_t tokens = 0;       // scored target tokens
};

// `shards`: a shard path or glob (data/token_shards.h). Throws forge::Error when
// seq_len exceeds the model's block_size, the shards' vocabulary is larger than
// the model's, or the shards hold no whole window.
EvalResult evaluate_shards(const nn::TransformerLM& model, const std::string& shards, int64_t seq_len,
                           int64_t batch_size);

}  // namespace forge::recipes
