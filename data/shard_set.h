// The token shards matching a spec, read in place: the concatenation of their
// /tokens (and /loss_mask) as one sequence that loaders read ranges of with
// pread at each dataset's file offset, never holding a shard in memory.
//
// Memory is a few dozen bytes per shard plus at most kMaxOpenShards open files,
// whatever the corpus size. Start-up reads only manifest.json (data/token_shards.h)
// where the shards' folder has one that lists them, else each shard's header.
// A shard is opened on first touch: its header must match what start-up saw
// (tokenizer, sizes), the file must hold every byte its datasets claim, and
// every dataset's CRC-32C (or, for older chunked shards, Fletcher-32) and
// every token id are verified once, streaming, before its data is used. Any
// failure is a forge::Error naming the file.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace forge::data {

class ShardSet {
 public:
  static constexpr size_t kMaxOpenShards = 64;

  // verify: check each shard's checksums on first touch (forge verify-data does
  // all of them at once with verify_all()).
  explicit ShardSet(const std::string& spec, bool verify = true);
  ~ShardSet();
  ShardSet(const ShardSet&) = delete;
  ShardSet& operator=(const ShardSet&) = delete;

  const std::string& spec() const { return spec_; }
  size_t num_shards() const { return shards_.size(); }
  const std::string& path(size_t shard) const;
  int64_t shard_begin(size_t shard) const { return begin_[shard]; }  // its first token's global index
  int64_t shard_tokens(size_t shard) const { return begin_[shard + 1] - begin_[shard]; }
  int64_t num_tokens() const { return begin_.back(); }
  int64_t vocab_size() const { return vocab_size_; }
  const std::string& tokenizer_fingerprint() const { return fingerprint_; }
  // Whether any shard has a /loss_mask (shards without one then read as all 1).
  bool has_loss_mask() const { return any_mask_; }
  bool shard_has_loss_mask(size_t shard) const;

  // Tokens [begin, begin + n) of the concatenation (and their loss mask, when
  // `mask` is not null); may span shards. Thread-safe.
  void read(int64_t begin, int64_t n, uint32_t* tokens, uint8_t* mask = nullptr) const;
  // The shard's /doc_offsets (verified), relative to the shard's first token.
  std::vector<int64_t> doc_offsets(size_t shard) const;
  // Opens and verifies every shard now; returns the bytes checked.
  int64_t verify_all() const;
  // Files open right now (at most kMaxOpenShards).
  size_t open_files() const;

 private:
  struct Info {
    std::string path;
    bool mask = false;
    bool verified = false;  // under mutex_
  };
  struct Open;
  Open& open(size_t shard) const;  // caller holds mutex_

  std::string spec_;
  bool verify_;
  std::vector<Info> shards_;
  std::vector<int64_t> begin_;  // num_shards + 1 prefix sums of token counts
  int64_t vocab_size_ = 0;
  std::string fingerprint_;
  bool any_mask_ = false;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Open>> open_;  // most recently used last
};

}  // namespace forge::data
