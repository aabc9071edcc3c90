// Byte-level BPE encoding and decoding (see tokenizer.h): the merge table is an
// open-addressing hash from a token pair to (rank, merged id); short words are
// merged by repeated scans for the lowest-ranked pair, long ones with a heap.
#include "data/tokenizer.h"

#include <algorithm>
#include <climits>
#include <queue>

#include "common/error.h"
#include "data/tokenizer_pretokenize.h"

namespace forge::data {
namespace detail {

// (left, right) -> (rank, result), open addressing with linear probing.
class MergeTable {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n + 1) cap <<= 1;
    keys_.assign(cap, kEmpty);
    ranks_.assign(cap, 0);
    results_.assign(cap, 0);
    mask_ = cap - 1;
  }
  // Keeps the first (lowest-rank) entry of a pair listed twice.
  void insert(int32_t left, int32_t right, int32_t rank, int32_t result) {
    const uint64_t key = pack(left, right);
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return;
      if (keys_[i] == kEmpty) {
        keys_[i] = key, ranks_[i] = rank, results_[i] = result;
        return;
      }
    }
  }
  // Rank of the pair (INT_MAX when it is not a merge); sets `result`.
  int32_t find(int32_t left, int32_t right, int32_t& result) const {
    const uint64_t key = pack(left, right);
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) {
        result = results_[i];
        return ranks_[i];
      }
      if (keys_[i] == kEmpty) return INT_MAX;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t pack(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  size_t slot(uint64_t k) const {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return static_cast<size_t>(k) & mask_;
  }
  std::vector<uint64_t> keys_;
  std::vector<int32_t> ranks_, results_;
  size_t mask_ = 0;
};

struct BpeModel {
  std::vector<std::string> tokens;
  std::vector<MergePair> merges;
  std::vector<SpecialToken> specials;
  std::unordered_map<std::string, int32_t> ids;  // raw bytes -> id (first id wins)
  int32_t byte_ids[256];
  MergeTable table;
  int32_t eot = -1;
  uint64_t fingerprint = 0;
};

}  // namespace detail

namespace {

constexpr size_t kMaxCachedWordBytes = 128;
constexpr size_t kMaxCacheEntries = size_t{1} << 20;
constexpr size_t kHeapThreshold = 96;  // longer words merge with a heap

void fnv_mix(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
}

// GPT-2's bpe(): merge the lowest-ranked adjacent pair (all its occurrences,
// left to right) until none is ranked. `ids` holds the byte tokens on entry.
void merge_short(const detail::MergeTable& table, std::vector<int32_t>& ids) {
  while (ids.size() >= 2) {
    int32_t best_rank = INT_MAX, best_result = -1, result = 0;
    size_t best = 0;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      const int32_t rank = table.find(ids[i], ids[i + 1], result);
      if (rank < best_rank) best_rank = rank, best = i, best_result = result;
    }
    if (best_rank == INT_MAX) return;
    const int32_t a = ids[best], b = ids[best + 1];
    size_t w = best;
    for (size_t i = best; i < ids.size();) {
      if (i + 1 < ids.size() && ids[i] == a && ids[i + 1] == b) {
        ids[w++] = best_result;
        i += 2;
      } else {
        ids[w++] = ids[i++];
      }
    }
    ids.resize(w);
  }
}

// Same result as merge_short for any merge list learned by BPE (a merge's
// result only appears in later-ranked merges), in O(n log n): a min-heap of
// (rank, position) over a linked list of symbols.
void merge_long(const detail::MergeTable& table, std::vector<int32_t>& ids) {
  const int n = static_cast<int>(ids.size());
  std::vector<int> prev(n), next(n);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1;
  struct Cand {
    int32_t rank;
    int pos, left, right;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<>> heap;
  auto push = [&](int i) {
    if (i < 0 || next[i] >= n) return;
    int32_t result = 0;
    const int32_t rank = table.find(ids[i], ids[next[i]], result);
    if (rank != INT_MAX) heap.push({rank, i, ids[i], ids[next[i]]});
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  std::vector<char> alive(n, 1);
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    const int j = next[c.pos];
    if (!alive[c.pos] || j >= n || ids[c.pos] != c.left || ids[j] != c.right) continue;  // stale
    int32_t result = 0;
    table.find(c.left, c.right, result);
    ids[c.pos] = result;
    alive[j] = 0;
    next[c.pos] = next[j];
    if (next[j] < n) prev[next[j]] = c.pos;
    push(prev[c.pos]);
    push(c.pos);
  }
  size_t w = 0;
  for (int i = 0; i < n; i = next[i]) ids[w++] = ids[i];
  ids.resize(w);
}

}  // namespace

Tokenizer::Tokenizer(std::vector<std::string> tokens, std::vector<MergePair> merges,
                     std::vector<SpecialToken> specials) {
  auto m = std::make_shared<detail::BpeModel>();
  const auto vocab = static_cast<int32_t>(tokens.size());
  m->ids.reserve(tokens.size());
  for (int32_t id = 0; id < vocab; ++id) m->ids.emplace(tokens[id], id);
  for (int b = 0; b < 256; ++b) {
    auto it = m->ids.find(std::string(1, static_cast<char>(b)));
    FORGE_CHECK(it != m->ids.end(), "tokenizer: the vocabulary has no token for byte 0x"
                                        << std::hex << b << ": byte-level BPE needs all 256 single-byte tokens");
    m->byte_ids[b] = it->second;
  }
  m->table.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto [a, b] = merges[r];
    FORGE_CHECK(a >= 0 && a < vocab && b >= 0 && b < vocab,
                "tokenizer: merge " << r << " (" << a << ", " << b << ") names an id outside [0, " << vocab << ")");
    auto it = m->ids.find(tokens[a] + tokens[b]);
    FORGE_CHECK(it != m->ids.end(), "tokenizer: merge " << r << " (" << a << ", " << b
                                                        << ") yields a token that is not in the vocabulary");
    m->table.insert(a, b, static_cast<int32_t>(r), it->second);
  }
  for (const auto& s : specials) {
    FORGE_CHECK(!s.content.empty(), "tokenizer: empty special token");
    FORGE_CHECK(s.id >= 0 && s.id < vocab && tokens[s.id] == s.content,
                "tokenizer: special token '" << s.content << "' has id " << s.id << ", which is not its vocabulary id");
    if (s.content == kEndOfText) m->eot = s.id;
  }
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& t : tokens) {
    const uint64_t n = t.size();
    fnv_mix(h, &n, sizeof n);
    fnv_mix(h, t.data(), t.size());
  }
  fnv_mix(h, merges.data(), merges.size() * sizeof(MergePair));
  for (const auto& s : specials) {
    fnv_mix(h, &s.id, sizeof s.id);
    fnv_mix(h, s.content.data(), s.content.size());
  }
  m->fingerprint = h;
  m->tokens = std::move(tokens);
  m->merges = std::move(merges);
  m->specials = std::move(specials);
  model_ = std::move(m);
}

Tokenizer::Tokenizer(const Tokenizer& other) : model_(other.model_) {}
Tokenizer& Tokenizer::operator=(const Tokenizer& other) {
  if (this != &other) {
    model_ = other.model_;
    cache_.clear();
    cache_ids_.clear();
  }
  return *this;
}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

void Tokenizer::encode_word(std::string_view word, std::vector<int32_t>& out) {
  const detail::BpeModel& m = *model_;
  if (word.size() == 1) {
    out.push_back(m.byte_ids[static_cast<unsigned char>(word[0])]);
    return;
  }
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    auto it = cache_.find(word);
    if (it != cache_.end()) {
      const int32_t* p = cache_ids_.data() + it->second.offset;
      out.insert(out.end(), p, p + it->second.length);
      return;
    }
  }
  std::vector<int32_t> ids(word.size());
  for (size_t i = 0; i < word.size(); ++i) ids[i] = m.byte_ids[static_cast<unsigned char>(word[i])];
  if (ids.size() <= kHeapThreshold) {
    merge_short(m.table, ids);
  } else {
    merge_long(m.table, ids);
  }
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    if (cache_.size() >= kMaxCacheEntries) {
      cache_.clear();
      cache_ids_.clear();
    }
    cache_.emplace(std::string(word), CacheEntry{static_cast<uint32_t>(cache_ids_.size()),
                                                 static_cast<uint32_t>(ids.size())});
    cache_ids_.insert(cache_ids_.end(), ids.begin(), ids.end());
  }
}

void Tokenizer::encode_ordinary(std::string_view text, std::vector<int32_t>& out) {
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = pretoken_end(text, pos);
    encode_word(text.substr(pos, end - pos), out);
    pos = end;
  }
}

void Tokenizer::encode_append(std::string_view text, std::vector<int32_t>& out, bool allow_special) {
  const auto& specials = model_->specials;
  if (!allow_special || specials.empty()) {
    encode_ordinary(text, out);
    return;
  }
  // next_at[k]: where special k next occurs at or after `pos` (npos: never).
  std::vector<size_t> next_at(specials.size());
  for (size_t k = 0; k < specials.size(); ++k) next_at[k] = text.find(specials[k].content);
  size_t pos = 0;
  while (true) {
    size_t best = std::string_view::npos, best_k = 0;
    for (size_t k = 0; k < specials.size(); ++k) {
      if (next_at[k] != std::string_view::npos && next_at[k] < pos) next_at[k] = text.find(specials[k].content, pos);
      // Earliest match wins; at the same place, the longest.
      if (next_at[k] < best || (next_at[k] == best && next_at[k] != std::string_view::npos &&
                                specials[k].content.size() > specials[best_k].content.size())) {
        best = next_at[k], best_k = k;
      }
    }
    if (best == std::string_view::npos) break;
    encode_ordinary(text.substr(pos, best - pos), out);
    out.push_back(specials[best_k].id);
    pos = best + specials[best_k].content.size();
  }
  encode_ordinary(text.substr(pos), out);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool allow_special) {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 16);
  encode_append(text, out, allow_special);
  return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  const auto& tokens = model_->tokens;
  std::string out;
  for (int32_t id : ids) {
    FORGE_CHECK(id >= 0 && static_cast<size_t>(id) < tokens.size(),
                "tokenizer decode: token id " << id << " is outside the vocabulary [0, " << tokens.size() << ")");
    out += tokens[id];
  }
  return out;
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(model_->tokens.size()); }

const std::string& Tokenizer::token(int32_t id) const {
  FORGE_CHECK(id >= 0 && id < vocab_size(), "tokenizer: token id " << id << " is outside [0, " << vocab_size() << ")");
  return model_->tokens[id];
}

std::optional<int32_t> Tokenizer::token_id(std::string_view bytes) const {
  auto it = model_->ids.find(std::string(bytes));
  if (it == model_->ids.end()) return std::nullopt;
  return it->second;
}

const std::vector<MergePair>& Tokenizer::merges() const { return model_->merges; }
const std::vector<SpecialToken>& Tokenizer::special_tokens() const { return model_->specials; }
int32_t Tokenizer::eot_id() const { return model_->eot; }
uint64_t Tokenizer::fingerprint() const { return model_->fingerprint; }

}  // namespace forge::data
