// Conversation rows, packing and batch assembly for SftLoader (see sft_loader.h).
#include "data/sft_loader.h"

#include <numeric>

#include "common/error.h"
#include "common/philox.h"

namespace forge::data {

SftLoader::SftLoader(const std::string& spec, const SftLoaderOptions& o) : o_(o) {
  FORGE_CHECK(o.batch_size >= 1 && o.seq_len >= 2 && o.grad_accum >= 1 && o.dp_size >= 1 && o.dp_rank >= 0 &&
                  o.dp_rank < o.dp_size,
              "SFT loader: invalid batch_size " << o.batch_size << ", seq_len " << o.seq_len << ", grad_accum "
                                                << o.grad_accum << ", dp " << o.dp_rank << "/" << o.dp_size);
  shards_ = std::make_unique<ShardSet>(spec);
  for (size_t i = 0; i < shards_->num_shards(); ++i) {
    FORGE_CHECK(shards_->shard_has_loss_mask(i),
                "shard '" << shards_->path(i) << "' has no /loss_mask: SFT data comes from `forge prepare --sft`");
    const std::vector<int64_t> offsets = shards_->doc_offsets(i);
    const int64_t base = shards_->shard_begin(i), n = shards_->shard_tokens(i);
    for (size_t d = 0; d < offsets.size(); ++d) {
      const int64_t begin = offsets[d], end = d + 1 < offsets.size() ? offsets[d + 1] : n;
      if (end == begin) continue;
      const int64_t length = std::min(end - begin, o.seq_len);
      truncated_ += length < end - begin;
      conversations_.push_back({base + begin, length});
    }
  }
  FORGE_CHECK(!conversations_.empty(), "SFT data at '" << spec << "' holds no conversation");
  int64_t used = 0;
  for (int64_t c = 0; c < num_conversations(); ++c) {
    const int64_t length = conversations_[static_cast<size_t>(c)].length;
    if (o.packing && !row_first_.empty() && used + length <= o.seq_len) {
      used += length;
      continue;
    }
    row_first_.push_back(c);
    used = length;
  }
  row_first_.push_back(num_conversations());
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
  std::vector<uint32_t> tokens(static_cast<size_t>(T));
  std::vector<uint8_t> mask(static_cast<size_t>(T));
  for (int64_t r = 0; r < B; ++r) {
    const int64_t row = row_of(base + r);
    const int64_t first = row_first_[static_cast<size_t>(row)], count = row_first_[static_cast<size_t>(row) + 1] - first;
    int64_t slot = r * T;
    for (int64_t k = 0; k < count; ++k) {
      const Span c = conversations_[static_cast<size_t>(first + k)];
      shards_->read(c.begin, c.length, tokens.data(), mask.data());
      for (int64_t j = 0; j < c.length; ++j, ++slot) {
        in[slot] = tokens[j];
        if (j + 1 < c.length && mask[j + 1]) tg[slot] = tokens[j + 1];
        if (pos) {
          pos[slot] = j;
          doc[slot] = k;
        }
      }
    }
    if (pos)  // padding: its own document after the last conversation, positions from 0
      for (int64_t j = 0; slot < (r + 1) * T; ++j, ++slot) {
        pos[slot] = j;
        doc[slot] = count;
      }
  }
  return b;
}

}  // namespace forge::data
