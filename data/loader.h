// The pretraining loader: (B, T+1)-token windows over the concatenated shards,
// as a pure function of (seed, global step, micro-step, dp rank).
//
// Window i covers tokens[i*T ... i*T+T] (T+1 tokens: inputs and shifted targets).
// Row r of micro-step a of global step s on dp rank d reads the window with
// global index  g = s*(B*accum*dp) + a*(B*dp) + d*B + r.
//   sequential: window g mod W (W = number of whole windows; epochs wrap)
//   random:     a window starting at a uniform offset drawn from Philox(seed, g)
// Because the index is a pure function, the loader's whole resumable state is
// the step counter, every global batch is the same whatever the dp size, and
// dp ranks read disjoint rows of it.
//
// Windows are read from the shards in place (data/shard_set.h): the loader's
// memory is its index and one batch, whatever the corpus size.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "data/shard_set.h"

namespace forge::data {

enum class Order { random, sequential };
Order order_from_name(const std::string& name);

struct Batch {
  Tensor inputs;   // (B, T) i64
  Tensor targets;  // (B, T) i64; -100 where the loss mask is 0 (SFT shards)
  // Packed SFT rows only (data/sft_loader.h), else undefined: i64 (B, T) position
  // of each token inside its conversation, and which conversation it belongs to.
  Tensor positions, doc_ids;
};

// What the trainer reads batches from: the pretraining TokenLoader or the
// SFT loader. batch(step, micro_step) is a pure function of its arguments.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual Batch batch(int64_t step, int64_t micro_step) const = 0;
  // Rows (B of them make a batch) that one pass over the data holds.
  virtual int64_t num_windows() const = 0;
  virtual int64_t vocab_size() const = 0;
  // The shards' tokenizer fingerprint (16 hex digits) and a shard it came from, for mismatch errors.
  virtual const std::string& tokenizer_fingerprint() const = 0;
  virtual const std::string& first_shard() const = 0;
};

// Errors unless `b` (e.g. "data.val") was made with the tokenizer of `a` (e.g.
// "data.train"); the message names a shard of each.
void check_same_tokenizer(const BatchSource& a, const std::string& a_role, const BatchSource& b,
                          const std::string& b_role);
// Errors unless `data` was made with the tokenizer of vocabulary `vocab_size`
// and fingerprint `fingerprint` (Tokenizer::fingerprint()) loaded from `tokenizer_path`.
void check_made_with(const BatchSource& data, const std::string& role, int64_t vocab_size, uint64_t fingerprint,
                     const std::string& tokenizer_path);

class TokenLoader : public BatchSource {
 public:
  // Indexes every shard matching `spec` (see data/token_shards.h); reads none yet.
  TokenLoader(const std::string& spec, int64_t batch_size, int64_t seq_len, Order order, uint64_t seed,
              int64_t grad_accum = 1, int64_t dp_size = 1, int64_t dp_rank = 0);

  Batch batch(int64_t step, int64_t micro_step) const override;
  int64_t num_tokens() const { return shards_->num_tokens(); }
  int64_t num_windows() const override;
  int64_t vocab_size() const override { return shards_->vocab_size(); }
  const std::string& tokenizer_fingerprint() const override { return shards_->tokenizer_fingerprint(); }
  const std::string& first_shard() const override { return shards_->path(0); }
  const ShardSet& shards() const { return *shards_; }
  int64_t tokens_per_step() const { return batch_size_ * seq_len_ * grad_accum_ * dp_size_; }

 private:
  int64_t window_start(int64_t global_index) const;

  std::unique_ptr<ShardSet> shards_;
  int64_t batch_size_, seq_len_, grad_accum_, dp_size_, dp_rank_;
  Order order_;
  uint64_t seed_;
};

}  // namespace forge::data
