// HDF5 token shards (DESIGN.md, docs/data.md): /tokens (uint16 when the
// vocabulary fits, else uint32), /doc_offsets (int64 start of each document),
// attributes vocab_size and tokenizer_fingerprint; SFT shards add /loss_mask
// (uint8, 1 = trained on). Every dataset is contiguous with a CRC-32C
// attribute (io/hdf5_contiguous.h), so a loader reads any window in place by
// file offset. Shards written before that (chunked, Fletcher-32) still read.
//
// A folder written by `forge prepare` also holds manifest.json: every shard's
// file name, split, token and document counts, and the tokenizer, so a loader
// learns the corpus layout without opening thousands of shards.
#pragma once

#include <cstdint>
#include <optional>
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

// A shard to write, by pointer: tokens are uint16 (`tokens16`) or uint32
// (`tokens32`), whichever is set; loss_mask is nullptr for pretraining shards.
struct ShardContents {
  const uint16_t* tokens16 = nullptr;
  const uint32_t* tokens32 = nullptr;
  size_t num_tokens = 0;
  const int64_t* doc_offsets = nullptr;
  size_t num_documents = 0;
  const uint8_t* loss_mask = nullptr;
  int64_t vocab_size = 0;
  std::string tokenizer_fingerprint;
};

// Writes to `path + ".tmp"` then renames, so a crash never leaves a half shard;
// a failed write removes the temporary file. Token ids >= vocab_size are an
// error naming the id and its position.
void write_shard(const std::string& path, const ShardContents& shard);
void write_shard(const std::string& path, const TokenShard& shard);
// The whole shard in memory (tests and small tools; loaders read in place).
TokenShard read_shard(const std::string& path);

// The fingerprint as stored in shards: 16 lowercase hex digits.
std::string fingerprint_string(uint64_t fingerprint);

// Shard files matching a path, a directory (all *.h5 inside, sorted) or a glob
// pattern with '*' in the file name. Errors if nothing matches.
std::vector<std::string> list_shards(const std::string& spec);

inline constexpr const char* kManifestFile = "manifest.json";

struct ManifestShard {
  std::string file;   // name inside the manifest's folder
  std::string split;  // "train" or "val"
  int64_t tokens = 0, documents = 0;
  bool loss_mask = false;
};
struct Manifest {
  int64_t vocab_size = 0;
  std::string tokenizer_fingerprint;
  std::vector<ManifestShard> shards;
};

void write_manifest(const std::string& dir, const Manifest& manifest);
// DIR/manifest.json, or nullopt when there is none; a malformed one is an error naming it.
std::optional<Manifest> read_manifest(const std::string& dir);

}  // namespace forge::data
