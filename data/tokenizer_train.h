// Training a byte-level BPE tokenizer (GPT-2 style) from text.
//
// BpeTrainer first counts pre-tokens ("words", tokenizer_pretokenize.h) with
// their frequencies, so the merge loop works on distinct words only. It then
// repeatedly merges the most frequent adjacent token pair, updating pair
// counts incrementally for just the words that contain the merged pair, with
// a lazily updated max-heap of pair counts. Ties go to the pair with the
// smaller (left id, right id), so training is deterministic.
//
// The vocabulary is laid out like GPT-2's: ids 0..255 are the single bytes in
// GPT-2's order, then one token per merge, then the special tokens (by default
// <|endoftext|>, the last id). Special tokens in the training text are cut out
// and never learned as pieces.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/tokenizer.h"

namespace forge::data {

struct BpeTrainOptions {
  int32_t vocab_size = 32768;  // total, special tokens included
  int64_t min_frequency = 2;   // stop when the best pair is rarer than this
  std::vector<std::string> special_tokens = {std::string(kEndOfText)};
};

class BpeTrainer {
 public:
  explicit BpeTrainer(BpeTrainOptions options);
  // Pre-tokenizes `text` and adds its words to the counts.
  void add_text(std::string_view text);
  // Reads a whole file and adds it; throws forge::Error naming the file.
  void add_file(const std::filesystem::path& path);
  // Learns merges until the vocabulary has options.vocab_size tokens or no
  // pair is frequent enough (then the vocabulary is smaller). Input without a
  // single word (empty files) is a forge::Error.
  Tokenizer train() const;

  size_t distinct_words() const { return word_counts_.size(); }

 private:
  void add_ordinary(std::string_view text);
  BpeTrainOptions options_;
  std::unordered_map<std::string, int64_t> word_counts_;
};

}  // namespace forge::data
