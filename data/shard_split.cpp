// Train/val shard assembly for `forge prepare` (see shard_split.h).
#include "data/shard_split.h"

#include <cstdio>
#include <filesystem>

#include "common/error.h"

namespace forge::data {
namespace fs = std::filesystem;

void ShardSplit::add(const std::vector<int32_t>& ids, const std::vector<uint8_t>& loss_mask, int64_t shard_tokens) {
  shard.doc_offsets.push_back(static_cast<int64_t>(shard.tokens.size()));
  shard.tokens.insert(shard.tokens.end(), ids.begin(), ids.end());
  shard.loss_mask.insert(shard.loss_mask.end(), loss_mask.begin(), loss_mask.end());
  ++documents;
  tokens += static_cast<int64_t>(ids.size());
  if (static_cast<int64_t>(shard.tokens.size()) >= shard_tokens) flush();
}

void ShardSplit::flush() {
  if (!shard.tokens.empty()) done.push_back(std::move(shard));
  shard = TokenShard{};
}

void check_prepare_options(const std::string& what, const std::vector<std::string>& inputs, double val_fraction,
                           int64_t shard_tokens) {
  FORGE_CHECK(!inputs.empty(), what << ": no input files given");
  FORGE_CHECK(val_fraction >= 0.0 && val_fraction < 1.0,
              what << ": --val-fraction must be in [0, 1), got " << val_fraction);
  FORGE_CHECK(shard_tokens > 0, what << ": --shard-tokens must be > 0");
}

void create_output_dir(const std::string& what, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  FORGE_CHECK(!ec && fs::is_directory(dir), what << ": cannot create output directory '" << dir << "'");
}

std::vector<std::string> write_splits(const std::string& out_dir, const std::vector<ShardSplit*>& splits,
                                      const Tokenizer& tokenizer) {
  char fp[32];
  std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(tokenizer.fingerprint()));
  std::vector<std::string> files;
  for (ShardSplit* s : splits) {
    for (size_t i = 0; i < s->done.size(); ++i) {
      TokenShard& shard = s->done[i];
      shard.vocab_size = tokenizer.vocab_size();
      shard.tokenizer_fingerprint = fp;
      char name[64];
      std::snprintf(name, sizeof name, "%s_%06zu.h5", s->prefix.c_str(), i);
      const std::string path = (fs::path(out_dir) / name).string();
      write_shard(path, shard);
      files.push_back(path);
    }
  }
  return files;
}

}  // namespace forge::data
