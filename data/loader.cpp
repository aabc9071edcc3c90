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

void check_same_tokenizer(const BatchSource& a, const std::string& a_role, const BatchSource& b,
                          const std::string& b_role) {
  FORGE_CHECK(a.vocab_size() == b.vocab_size() && a.tokenizer_fingerprint() == b.tokenizer_fingerprint(),
              b_role << " was made with a different tokenizer than " << a_role << ": '" << b.first_shard()
                     << "' has vocab " << b.vocab_size() << " and fingerprint '" << b.tokenizer_fingerprint() << "', '"
                     << a.first_shard() << "' vocab " << a.vocab_size() << " and '" << a.tokenizer_fingerprint()
                     << "'; prepare both with the same tokenizer");
}

void check_made_with(const BatchSource& data, const std::string& role, int64_t vocab_size, uint64_t fingerprint,
                     const std::string& tokenizer_path) {
  FORGE_CHECK(data.vocab_size() == vocab_size && data.tokenizer_fingerprint() == fingerprint_string(fingerprint),
              role << " was made with a different tokenizer than '" << tokenizer_path << "': '" << data.first_shard()
                   << "' has vocab " << data.vocab_size() << " and fingerprint '" << data.tokenizer_fingerprint()
                   << "', the tokenizer vocab " << vocab_size << " and '" << fingerprint_string(fingerprint)
                   << "'; re-run forge prepare with this tokenizer, or name the one the shards were made with");
}

TokenLoader::TokenLoader(const std::string& spec, int64_t batch_size, int64_t seq_len, Order order, uint64_t seed,
                         int64_t grad_accum, int64_t dp_size, int64_t dp_rank)
    : batch_size_(batch_size), seq_len_(seq_len), grad_accum_(grad_accum), dp_size_(dp_size), dp_rank_(dp_rank),
      order_(order), seed_(seed) {
  FORGE_CHECK(batch_size >= 1 && seq_len >= 1 && grad_accum >= 1 && dp_size >= 1 && dp_rank >= 0 && dp_rank < dp_size,
              "data loader: invalid batch_size " << batch_size << ", seq_len " << seq_len << ", grad_accum " << grad_accum
                                                 << ", dp " << dp_rank << "/" << dp_size);
  shards_ = std::make_unique<ShardSet>(spec);
  FORGE_CHECK(num_tokens() > seq_len, "data at '" << spec << "' holds " << num_tokens()
                                                  << " tokens, fewer than one window of seq_len + 1 = " << seq_len + 1);
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
  const bool masked = shards_->has_loss_mask();
  std::vector<uint32_t> window(static_cast<size_t>(T + 1));
  std::vector<uint8_t> mask(masked ? static_cast<size_t>(T + 1) : 0);
  for (int64_t r = 0; r < B; ++r) {
    shards_->read(window_start(base + r), T + 1, window.data(), masked ? mask.data() : nullptr);
    for (int64_t t = 0; t < T; ++t) {
      in[r * T + t] = window[t];
      const bool trained = !masked || mask[t + 1] != 0;
      tg[r * T + t] = trained ? static_cast<int64_t>(window[t + 1]) : -100;
    }
  }
  return b;
}

}  // namespace forge::data
