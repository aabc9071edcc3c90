// Train/val shard assembly shared by `forge prepare` and `forge prepare --sft`:
// each document is appended to the split (train or val) its caller chose, a
// split's current shard is closed once it holds shard_tokens tokens, and the
// closed shards are written only after every input was read (write_splits),
// so a bad input leaves no partial output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/token_shards.h"
#include "data/tokenizer.h"

namespace forge::data {

// One split being filled.
struct ShardSplit {
  std::string prefix;  // its files are <prefix>_NNNNNN.h5
  TokenShard shard;    // the shard being filled
  std::vector<TokenShard> done;
  int64_t documents = 0, tokens = 0;

  // Appends one document and its loss mask (empty for pretraining shards);
  // closes the shard once it holds shard_tokens tokens or more.
  void add(const std::vector<int32_t>& ids, const std::vector<uint8_t>& loss_mask, int64_t shard_tokens);
  // Closes the current shard unless it is empty.
  void flush();
};

// The checks both commands make of their inputs and split options; `what`
// ("prepare", "prepare --sft") starts the messages.
void check_prepare_options(const std::string& what, const std::vector<std::string>& inputs, double val_fraction,
                           int64_t shard_tokens);

// Creates `dir` (and its parents), or throws "<what>: cannot create output directory".
void create_output_dir(const std::string& what, const std::string& dir);

// Writes every closed shard of `splits` to out_dir/<prefix>_NNNNNN.h5, stamped
// with the tokenizer's vocabulary size and fingerprint; returns the paths in
// the order written.
std::vector<std::string> write_splits(const std::string& out_dir, const std::vector<ShardSplit*>& splits,
                                      const Tokenizer& tokenizer);

}  // namespace forge::data
