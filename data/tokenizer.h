// forge::data::Tokenizer: a byte-level BPE tokenizer in the style of GPT-2.
//
// Text is split into special tokens (e.g. <|endoftext|>, when allowed) and
// GPT-2 pre-tokens (tokenizer_pretokenize.h); each pre-token starts as its raw
// bytes (one base token per byte, so every byte string encodes, valid UTF-8
// or not) and adjacent tokens are merged in merge-rank order until no ranked
// pair is left, exactly like GPT-2's `bpe()`. Token ids of frequent pre-tokens
// are cached, so encoding is mostly a hash lookup per word.
//
// Tokens are raw byte strings here; the GPT-2 unicode spelling used by
// vocab.json / merges.txt / tokenizer.json lives in tokenizer_files.h.
//
// Thread safety: encode() fills a cache, so one Tokenizer must not encode from
// two threads at once. Copies are cheap (they share the immutable vocabulary
// and start with an empty cache): give each thread its own copy.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace forge::data {

inline constexpr std::string_view kEndOfText = "<|endoftext|>";

struct SpecialToken {
  std::string content;  // matched verbatim in text
  int32_t id;
};

struct MergePair {
  int32_t left, right;
  bool operator==(const MergePair&) const = default;
};

namespace detail {
struct BpeModel;  // immutable vocabulary + merge table, shared by copies
}

class Tokenizer {
 public:
  // tokens[id]: the raw bytes of token `id` (specials included, at their ids).
  // merges: in rank order; merging left+right yields the token whose bytes are
  // tokens[left] + tokens[right], which must exist. All 256 single bytes must
  // be tokens. Throws forge::Error when any of this does not hold.
  Tokenizer(std::vector<std::string> tokens, std::vector<MergePair> merges, std::vector<SpecialToken> specials);
  Tokenizer(const Tokenizer& other);
  Tokenizer& operator=(const Tokenizer& other);
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // allow_special: recognise special tokens in `text`; otherwise their text is
  // encoded as ordinary bytes.
  std::vector<int32_t> encode(std::string_view text, bool allow_special = true);
  void encode_append(std::string_view text, std::vector<int32_t>& out, bool allow_special = true);
  // Throws forge::Error on an id outside [0, vocab_size()).
  std::string decode(std::span<const int32_t> ids) const;

  int32_t vocab_size() const;
  const std::string& token(int32_t id) const;                 // raw bytes
  std::optional<int32_t> token_id(std::string_view bytes) const;
  const std::vector<MergePair>& merges() const;
  const std::vector<SpecialToken>& special_tokens() const;
  // Id of <|endoftext|>, or -1 when this vocabulary has none.
  int32_t eot_id() const;
  // 64-bit FNV-1a hash of tokens, merges and specials: equal fingerprints mean
  // identical encodings (stored in token shards to catch mismatches).
  uint64_t fingerprint() const;

 private:
  void encode_ordinary(std::string_view text, std::vector<int32_t>& out);
  void encode_word(std::string_view word, std::vector<int32_t>& out);

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct CacheEntry {
    uint32_t offset, length;  // into cache_ids_
  };

  std::shared_ptr<const detail::BpeModel> model_;
  std::unordered_map<std::string, CacheEntry, StringHash, std::equal_to<>> cache_;
  std::vector<int32_t> cache_ids_;
};

}  // namespace forge::data
