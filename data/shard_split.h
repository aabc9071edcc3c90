// Output of `forge prepare` and `forge prepare --sft`: train/val splits
// written shard by shard into a staging folder that is published whole.
//
// StagedOutput: the output folder must be absent or empty (or `replace` is
// set); everything is written into a hidden sibling folder, and publish()
// makes it the output folder with one rename (or, replacing a non-empty
// folder, one atomic exchange of the two, then the old one is deleted). A
// failure before publish() removes the staging folder: the output folder is
// untouched, never half written.
//
// ShardSplit: each document is appended to the split its caller chose; the
// split's current shard is written (uint16 ids when the vocabulary fits) once
// it holds shard_tokens tokens, so memory is one shard per split.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/token_shards.h"
#include "data/tokenizer.h"

namespace forge::data {

class StagedOutput {
 public:
  // `what` ("prepare", "prepare --sft") starts the messages.
  StagedOutput(const std::string& what, const std::string& out_dir, bool replace);
  ~StagedOutput();
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;

  const std::string& staging_dir() const { return staging_; }
  // Moves the staged folder to out_dir.
  void publish();

 private:
  std::string what_, out_dir_, staging_;
  bool replace_, published_ = false;
};

class ShardSplit {
 public:
  // Shards are written as <dir>/<prefix>_NNNNNN.h5 (the staging folder);
  // errors name them as <display_dir>/<prefix>_NNNNNN.h5 (the output folder).
  ShardSplit(std::string prefix, std::string dir, std::string display_dir, const Tokenizer& tokenizer,
             int64_t shard_tokens);

  // Appends one document and its loss mask (empty for pretraining shards);
  // writes the shard once it holds shard_tokens tokens or more.
  void add(std::span<const int32_t> ids, std::span<const uint8_t> loss_mask);
  // Writes the current shard unless it is empty.
  void flush();

  int64_t documents() const { return documents_; }
  int64_t tokens() const { return tokens_; }
  const std::vector<ManifestShard>& written() const { return written_; }

 private:
  std::string prefix_, dir_, display_dir_;
  int64_t vocab_size_, shard_tokens_;
  std::string fingerprint_;
  std::vector<uint16_t> tokens16_;
  std::vector<uint32_t> tokens32_;
  std::vector<int64_t> doc_offsets_;
  std::vector<uint8_t> loss_mask_;
  int64_t documents_ = 0, tokens_ = 0;
  std::vector<ManifestShard> written_;
};

// The checks both commands make of their inputs and split options.
void check_prepare_options(const std::string& what, const std::vector<std::string>& inputs, double val_fraction,
                           int64_t shard_tokens);

// Writes dir/manifest.json for the splits' shards; returns their paths in order.
std::vector<std::string> write_split_manifest(const std::string& dir, const std::vector<const ShardSplit*>& splits,
                                              const Tokenizer& tokenizer);

}  // namespace forge::data
