// The SFT loader: batches of whole conversations from SFT shards (made by
// `forge prepare --sft`; each document is one conversation with a /loss_mask).
//
// A conversation of L tokens fills L input slots of a row of T; the target of
// slot j is token j + 1 of the same conversation when its mask is 1, else -100
// (so its last token, and any token a mask leaves out, is not a target).
// Conversations longer than T tokens are cut to their first T.
//   padding (packing = false): one conversation per row, the rest of the row
//     padded (input 0, target -100); positions are the default 0..T-1.
//   packing (packing = true): conversations in data order are placed one after
//     another while they fit in T slots, then a new row starts; Batch::positions
//     restart at 0 with each conversation and Batch::doc_ids number them, so
//     attention stays inside each conversation (ops::attention's doc_ids) and
//     every token sees exactly what it would see alone in a padded row.
// Rows are indexed like TokenLoader's windows: row r of micro-step a of global
// step s on dp rank d is global row g = s*(B*accum*dp) + a*(B*dp) + d*B + r;
// with R rows per epoch it reads row g mod R (sequential) or row
// perm_e[g mod R] (random), perm_e a Philox(seed, epoch e = g / R) shuffle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/loader.h"

namespace forge::data {

struct SftLoaderOptions {
  int64_t batch_size = 1;
  int64_t seq_len = 1;
  Order order = Order::sequential;
  uint64_t seed = 0;
  int64_t grad_accum = 1;
  int64_t dp_size = 1, dp_rank = 0;
  bool packing = false;
};

class SftLoader : public BatchSource {
 public:
  // Indexes the conversations of every shard matching `spec` (their
  // /doc_offsets; tokens and masks are read in place per batch, data/shard_set.h);
  // each shard must hold a /loss_mask and come from the same tokenizer.
  SftLoader(const std::string& spec, const SftLoaderOptions& options);

  Batch batch(int64_t step, int64_t micro_step) const override;
  int64_t num_windows() const override { return static_cast<int64_t>(row_first_.size()) - 1; }
  int64_t vocab_size() const override { return shards_->vocab_size(); }
  const std::string& tokenizer_fingerprint() const override { return shards_->tokenizer_fingerprint(); }
  const std::string& first_shard() const override { return shards_->path(0); }
  int64_t num_conversations() const { return static_cast<int64_t>(conversations_.size()); }
  int64_t num_truncated() const { return truncated_; }  // conversations cut to seq_len tokens

 private:
  struct Span {
    int64_t begin, length;  // into the shards' concatenated tokens
  };
  int64_t row_of(int64_t global_row) const;

  SftLoaderOptions o_;
  std::unique_ptr<ShardSet> shards_;
  std::vector<Span> conversations_;
  // Row r holds conversations [row_first_[r], row_first_[r + 1]) (packing keeps data order).
  std::vector<int64_t> row_first_;
  int64_t truncated_ = 0;
  mutable int64_t perm_epoch_ = -1;  // the epoch perm_ belongs to (random order)
  mutable std::vector<int64_t> perm_;
};

}  // namespace forge::data
