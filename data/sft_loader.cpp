// Conversation rows, packing and batch assembly for SftLoader (see sft_loader.h).
#include "data/sft_loader.h"

#include <numeric>

#include "common/error.h"
#include "common/philox.h"
#include "data/token_shards.h"

namespace forge::data {

SftLoader::SftLoader(const std::string& spec, const SftLoaderOptions& o) : o_(o) {
  FORGE_CHECK(o.batch_size >= 1 && o.seq_len >= 2 && o.grad_accum >= 1 && o.dp_size >= 1 && o.dp_rank >= 0 &&
                  o.dp_rank < o.dp_size,
              "SFT loader: invalid batch_size " << o.batch_size << ", seq_len " << o.seq_len << ", grad_accum "
                                                << o.grad_accum << ", dp " << o.dp_rank << "/" << o.dp_size);
  std::string fingerprint;
  for (const std::string& path : list_shards(spec)) {
    TokenShard s = read_shard(path);
    FORGE_CHECK(!s.loss_mask.empty(), "shard '" << path << "' has no /loss_mask: SFT data comes from `forge prepare --sft`");
    check_same_tokenizer(s, path, vocab_size_, fingerprint);
    const int64_t base = static_cast<int64_t>(tokens_.size()), n = static_cast<int64_t>(s.tokens.size());
    for (size_t d = 0; d < s.doc_offsets.size(); ++d) {
      const int64_t begin = s.doc_offsets[d], end = d + 1 < s.doc_offsets.size() ? s.doc_offsets[d + 1] : n;
      FORGE_CHECK(begin >= 0 && begin <= end && end <= n,
                  "shard '" << path << "': /doc_offsets[" << d << "] = " << begin << " is out of order or past the "
                            << n << " tokens");
      if (end == begin) continue;
      const int64_t length = std::min(end - begin, o.seq_len);
      truncated_ += length < end - begin;
      conversations_.push_back({base + begin, length});
    }
    tokens_.insert(tokens_.end(), s.tokens.begin(), s.tokens.end());
    mask_.insert(mask_.end(), s.loss_mask.begin(), s.loss_mask.end());
  }
  FORGE_CHECK(!conversations_.empty(), "SFT data at '" << spec << "' holds no conversation");
  for (int64_t c = 0; c < num_conversations(); ++c) {
    if (o.packing && !rows_.empty()) {
      int64_t used = 0;
      for (int64_t k : rows_.back()) used += conversations_[k].length;
      if (used + conversations_[c].length <= o.seq_len) {
        rows_.back().push_back(c);
        continue;
      }
    }
    rows_.push_back({c});
  }
}

int64_t SftLoader::row_of(int64_t g) const {
  const int64_t R = num_windows(), epoch = g / R, i = g % R;
  if (o_.order == Order::sequential) return i;
  if (perm_epoch_ != epoch) {
    perm_.resize(static_cast<size_t>(R));
    std::iota(perm_.begin(), perm_.end(), int64_t{0});
    for (int64_t k = R - 1; k > 0; --k) {
      auto r = philox4x32((static_cast<uint64_t>(epoch) << 32) | static_cast<uint64_t>(k), o_.seed ^ 0x5f7105edu);
      const uint64_t v = (static_cast<uint64_t>(r[0]) << 32) | r[1];
      std::swap(perm_[k], perm_[static_cast<int64_t>(v % static_cast<uint64_t>(k + 1))]);
    }
    perm_epoch_ = epoch;
  }
  return perm_[i];
}

Batch SftLoader::batch(int64_t step, int64_t micro_step) const {
  const int64_t B = o_.batch_size, T = o_.seq_len;
  Batch b{Tensor::zeros({B, T}, DType::i64), Tensor::full({B, T}, -100.0, DType::i64), Tensor(), Tensor()};
  int64_t* pos = nullptr;
  int64_t* doc = nullptr;
  if (o_.packing) {
    b.positions = Tensor::zeros({B, T}, DType::i64);
    b.doc_ids = Tensor::zeros({B, T}, DType::i64);
    pos = b.positions.data<int64_t>();
    doc = b.doc_ids.data<int64_t>();
  }
  int64_t* in = b.inputs.data<int64_t>();
  int64_t* tg = b.targets.data<int64_t>();
  const int64_t base = step * (B * o_.grad_accum * o_.dp_size) + micro_step * (B * o_.dp_size) + o_.dp_rank * B;
  for (int64_t r = 0; r < B; ++r) {
    const std::vector<int64_t>& row = rows_[static_cast<size_t>(row_of(base + r))];
    int64_t slot = r * T;
    for (size_t k = 0; k < row.size(); ++k) {
      const Span c = conversations_[static_cast<size_t>(row[k])];
      for (int64_t j = 0; j < c.length; ++j, ++slot) {
        in[slot] = tokens_[c.begin + j];
        if (j + 1 < c.length && mask_[c.begin + j + 1]) tg[slot] = tokens_[c.begin + j + 1];
        if (pos) {
          pos[slot] = j;
          doc[slot] = static_cast<int64_t>(k);
        }
      }
    }
    if (pos)  // padding: its own document after the last conversation, positions from 0
      for (int64_t j = 0; slot < (r + 1) * T; ++j, ++slot) {
        pos[slot] = j;
        doc[slot] = static_cast<int64_t>(row.size());
      }
  }
  return b;
}

}  // namespace forge::data
