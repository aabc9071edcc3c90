// BPE training with word counts and incremental pair-count updates (see
// tokenizer_train.h). Per merge, only the words holding the merged pair are
// touched: their old pairs are subtracted, the merge applied, their new pairs
// added; the heap holds (count, pair) entries that are re-checked on pop.
#include "data/tokenizer_train.h"

#include <algorithm>
#include <queue>

#include "common/error.h"
#include "data/tokenizer_bytes.h"
#include "data/tokenizer_files.h"
#include "data/tokenizer_pretokenize.h"

namespace forge::data {
namespace {

uint64_t pack(int32_t a, int32_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }
int32_t left_of(uint64_t k) { return static_cast<int32_t>(k >> 32); }
int32_t right_of(uint64_t k) { return static_cast<int32_t>(k & 0xffffffffu); }

struct HeapEntry {
  int64_t count;
  uint64_t pair;
  // Max-heap order: larger count first, then smaller (left, right).
  bool operator<(const HeapEntry& o) const { return count != o.count ? count < o.count : pair > o.pair; }
};

struct Word {
  std::vector<int32_t> symbols;
  int64_t freq;
};

}  // namespace

BpeTrainer::BpeTrainer(BpeTrainOptions options) : options_(std::move(options)) {
  const auto min_vocab = 256 + static_cast<int64_t>(options_.special_tokens.size());
  FORGE_CHECK(options_.vocab_size >= min_vocab, "tokenizer train: vocab size " << options_.vocab_size
                                                    << " is too small: byte-level BPE needs at least " << min_vocab
                                                    << " (256 bytes + special tokens)");
  for (const auto& s : options_.special_tokens) FORGE_CHECK(!s.empty(), "tokenizer train: empty special token");
}

void BpeTrainer::add_ordinary(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = pretoken_end(text, pos);
    auto it = word_counts_.find(std::string(text.substr(pos, end - pos)));
    if (it == word_counts_.end()) {
      word_counts_.emplace(std::string(text.substr(pos, end - pos)), 1);
    } else {
      ++it->second;
    }
    pos = end;
  }
}

void BpeTrainer::add_text(std::string_view text) {
  size_t pos = 0;
  while (true) {
    size_t best = std::string_view::npos, len = 0;
    for (const auto& s : options_.special_tokens) {
      const size_t at = text.find(s, pos);
      if (at < best || (at == best && at != std::string_view::npos && s.size() > len)) best = at, len = s.size();
    }
    if (best == std::string_view::npos) break;
    add_ordinary(text.substr(pos, best - pos));
    pos = best + len;
  }
  add_ordinary(text.substr(pos));
}

void BpeTrainer::add_file(const std::filesystem::path& path) { add_text(read_text_file(path)); }

Tokenizer BpeTrainer::train() const {
  FORGE_CHECK(!word_counts_.empty(), "tokenizer train: the input holds no text (not one word to learn from); the "
                                     "tokenizer would be the 256 bytes and the special tokens only");
  // Base vocabulary: the 256 bytes in GPT-2's order.
  std::vector<std::string> tokens;
  std::unordered_map<std::string, int32_t> token_ids;
  int32_t byte_id[256];
  for (int i = 0; i < 256; ++i) {
    const uint8_t b = base_vocab_byte_order()[i];
    byte_id[b] = i;
    tokens.emplace_back(1, static_cast<char>(b));
    token_ids.emplace(tokens.back(), i);
  }
  const auto target = options_.vocab_size - static_cast<int32_t>(options_.special_tokens.size());

  // Distinct words, sorted so that every later step is deterministic.
  std::vector<std::pair<std::string_view, int64_t>> sorted;
  sorted.reserve(word_counts_.size());
  for (const auto& [w, c] : word_counts_) sorted.emplace_back(w, c);
  std::sort(sorted.begin(), sorted.end());
  std::vector<Word> words(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    words[i].freq = sorted[i].second;
    for (unsigned char c : sorted[i].first) words[i].symbols.push_back(byte_id[c]);
  }

  std::unordered_map<uint64_t, int64_t> pair_counts;
  std::unordered_map<uint64_t, std::vector<int32_t>> where;  // pair -> words (may be stale/repeated)
  for (size_t w = 0; w < words.size(); ++w) {
    const auto& s = words[w].symbols;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const uint64_t p = pack(s[i], s[i + 1]);
      pair_counts[p] += words[w].freq;
      auto& list = where[p];
      if (list.empty() || list.back() != static_cast<int32_t>(w)) list.push_back(static_cast<int32_t>(w));
    }
  }
  std::priority_queue<HeapEntry> heap;
  for (const auto& [p, c] : pair_counts) heap.push({c, p});

  std::vector<MergePair> merges;
  std::vector<uint64_t> touched;  // pairs holding the new token, to push
  while (static_cast<int32_t>(tokens.size()) < target && !heap.empty()) {
    const HeapEntry top = heap.top();
    heap.pop();
    auto cit = pair_counts.find(top.pair);
    const int64_t current = cit == pair_counts.end() ? 0 : cit->second;
    if (current != top.count) {  // stale entry: re-queue with the true count
      if (current > 0) heap.push({current, top.pair});
      continue;
    }
    if (current < options_.min_frequency) break;
    const int32_t a = left_of(top.pair), b = right_of(top.pair);
    std::string merged = tokens[a] + tokens[b];
    int32_t c;
    if (auto it = token_ids.find(merged); it != token_ids.end()) {
      c = it->second;  // same bytes reached by another merge order: reuse the id
    } else {
      c = static_cast<int32_t>(tokens.size());
      token_ids.emplace(merged, c);
      tokens.push_back(std::move(merged));
    }
    merges.push_back({a, b});

    std::vector<int32_t> affected = std::move(where[top.pair]);
    where.erase(top.pair);
    std::sort(affected.begin(), affected.end());
    affected.erase(std::unique(affected.begin(), affected.end()), affected.end());
    touched.clear();
    for (int32_t w : affected) {
      auto& s = words[w].symbols;
      const int64_t f = words[w].freq;
      bool present = false;
      for (size_t i = 0; i + 1 < s.size() && !present; ++i) present = s[i] == a && s[i + 1] == b;
      if (!present) continue;
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        auto it = pair_counts.find(pack(s[i], s[i + 1]));
        if ((it->second -= f) == 0) pair_counts.erase(it);
      }
      size_t out = 0;
      for (size_t i = 0; i < s.size();) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          s[out++] = c;
          i += 2;
        } else {
          s[out++] = s[i++];
        }
      }
      s.resize(out);
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        const uint64_t p = pack(s[i], s[i + 1]);
        pair_counts[p] += f;
        if (s[i] == c || s[i + 1] == c) {
          auto& list = where[p];
          if (list.empty() || list.back() != w) list.push_back(w);
          touched.push_back(p);
        }
      }
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (uint64_t p : touched) {
      auto it = pair_counts.find(p);
      if (it != pair_counts.end()) heap.push({it->second, p});
    }
  }

  std::vector<SpecialToken> specials;
  for (const auto& s : options_.special_tokens) {
    const auto id = static_cast<int32_t>(tokens.size());
    specials.push_back({s, id});
    tokens.push_back(s);
  }
  return Tokenizer(std::move(tokens), std::move(merges), std::move(specials));
}

}  // namespace forge::data
