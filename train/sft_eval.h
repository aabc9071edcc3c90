// Held-out exact-match accuracy of a chat model: each example's prompt (every
// message but the last) is formatted with the chat template, the model answers
// greedily until the template's stop token, and the answer counts as correct
// when it equals the example's final assistant message, ignoring whitespace at
// either end. Used by `forge sft-eval` and the SFT end-to-end test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/chat_template.h"
#include "data/tokenizer.h"

namespace forge::nn {
class TransformerLM;
}

namespace forge::recipes {

struct ExactMatchExample {
  std::vector<data::ChatMessage> prompt;  // ends with a user (or system) message
  std::string answer;                     // the expected assistant reply
};

// A chat JSONL file in the formats of `forge prepare --sft`; every line must
// end with an assistant message (its expected answer). Errors name file, line
// and field.
std::vector<ExactMatchExample> read_exact_match_set(const std::string& path);

// The model's greedy reply to `history` (at most max_new_tokens tokens, fewer
// when the block size is reached first), stopping at the template's stop token.
std::string chat_reply(const nn::TransformerLM& model, data::Tokenizer& tokenizer, const data::ChatTemplate& chat_template,
                       const std::vector<data::ChatMessage>& history, int64_t max_new_tokens);

struct ExactMatchResult {
  int64_t correct = 0, total = 0;
  std::vector<std::string> replies;  // one per example, in order
  double accuracy() const { return total > 0 ? static_cast<double>(correct) / static_cast<double>(total) : 0.0; }
};

ExactMatchResult exact_match(const nn::TransformerLM& model, data::Tokenizer& tokenizer,
                             const data::ChatTemplate& chat_template, const std::vector<ExactMatchExample>& examples,
                             int64_t max_new_tokens);

// `s` without whitespace at either end.
std::string trim(const std::string& s);

}  // namespace forge::recipes
