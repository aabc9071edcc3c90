// Window indexing and batch assembly for TokenLoader (see loader.h).
#include "data/loader.h"

#include "common/philox.h"
#include "data/token_shards.h"

namespace forge::data {

Order order_from_name(const std::string& name) {
  if (name == "random") return Order::random;
  if (name == "sequential") return Order::sequential;
  FORGE_THROW("unknown data order '" << name << "' (expected random or sequential)");
}

TokenLoader::TokenLoader(const std::string& spec, int64_t batch_size, int64_t seq_len, Order order, uint64_t seed,
                         int64_t grad_accum, int64_t dp_size, int64_t dp_rank)
    : batch_size_(batch_size), seq_len_(seq_len), grad_accum_(grad_accum), dp_size_(dp_size), dp_rank_(dp_rank),
      order_(order), seed_(seed) {
  FORGE_CHECK(batch_size >= 1 && seq_len >= 1 && grad_accum >= 1 && dp_size >= 1 && dp_rank >= 0 && dp_rank < dp_size,
              "data loader: invalid batch_size " << batch_size << ", seq_len " << seq_len << ", grad_accum " << grad_accum
                                                 << ", dp " << dp_rank << "/" << dp_size);
  std::string fingerprint;
  bool any_mask = false;
  for (const std::string& path : list_shards(spec)) {
    TokenShard s = read_shard(path);
    check_same_tokenizer(s, path, vocab_size_, fingerprint);
    if (!s.loss_mask.empty()) any_mask = true;
    if (any_mask) {
      loss_mask_.resize(tokens_.size(), 1);
      if (s.loss_mask.empty()) s.loss_mask.assign(s.tokens.size(), 1);
      loss_mask_.insert(loss_mask_.end(), s.loss_mask.begin(), s.loss_mask.end());
    }
    tokens_.insert(tokens_.end(), s.tokens.begin(), s.tokens.end());
  }
  FORGE_CHECK(static_cast<int64_t>(tokens_.size()) > seq_len,
              "data at '" << spec << "' holds " << tokens_.size() << " tokens, fewer than one window of seq_len + 1 = "
                          << seq_len + 1);
}

int64_t TokenLoader::num_windows() const { return (num_tokens() - 1) / seq_len_; }

int64_t TokenLoader::window_start(int64_t g) const {
  if (order_ == Order::sequential) return (g % num_windows()) * seq_len_;
  const uint64_t span = static_cast<uint64_t>(num_tokens() - seq_len_);  // valid starts: [0, N - T - 1]
  auto r = philox4x32(static_cast<uint64_t>(g), seed_);
  const uint64_t v = (static_cast<uint64_t>(r[0]) << 32) | r[1];
  return static_cast<int64_t>(v % span);
}

Batch TokenLoader::batch(int64_t step, int64_t micro_step) const {
  const int64_t B = batch_size_, T = seq_len_;
  Batch b{Tensor::empty({B, T}, DType::i64), Tensor::empty({B, T}, DType::i64), Tensor(), Tensor()};
  int64_t* in = b.inputs.data<int64_t>();
  int64_t* tg = b.targets.data<int64_t>();
  const int64_t base = step * (B * grad_accum_ * dp_size_) + micro_step * (B * dp_size_) + dp_rank_ * B;
  for (int64_t r = 0; r < B; ++r) {
    const int64_t start = window_start(base + r);
    for (int64_t t = 0; t < T; ++t) {
      in[r * T + t] = tokens_[start + t];
      const bool trained = loss_mask_.empty() || loss_mask_[start + t + 1] != 0;
      tg[r * T + t] = trained ? static_cast<int64_t>(tokens_[start + t + 1]) : -100;
    }
  }
  return b;
}

}  // namespace forge::data
