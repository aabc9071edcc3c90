// HDF5 token shards (DESIGN.md): /tokens (uint16 when the vocabulary fits, else
// uint32), /doc_offsets (int64 start of each document), attributes vocab_size
// and tokenizer_fingerprint; SFT shards add /loss_mask (uint8, 1 = trained on).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace forge::data {

struct TokenShard {
  std::vector<uint32_t> tokens;
  std::vector<int64_t> doc_offsets;
  std::vector<uint8_t> loss_mask;  // empty for pretraining shards
  int64_t vocab_size = 0;
  std::string tokenizer_fingerprint;
};

// Writes to `path + ".tmp"` then renames, so a crash never leaves a half shard.
// Token ids >= vocab_size are an error naming the id and its position.
void write_shard(const std::string& path, const TokenShard& shard);
TokenShard read_shard(const std::string& path);

// Checks that shard `s`, read from `path`, comes from the same tokenizer as
// the shards loaded before it: the first one (vocab_size still 0) sets
// vocab_size and fingerprint, every later one must match both.
void check_same_tokenizer(const TokenShard& s, const std::string& path, int64_t& vocab_size, std::string& fingerprint);

// Shard files matching a path, a directory (all *.h5 inside, sorted) or a glob
// pattern with '*' in the file name. Errors if nothing matches.
std::vector<std::string> list_shards(const std::string& spec);

}  // namespace forge::data
