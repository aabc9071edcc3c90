// Staged output folders and streaming train/val shard writing (see shard_split.h).
#include "data/shard_split.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace forge::data {
namespace fs = std::filesystem;

namespace {

fs::path normalized(const std::string& dir) {
  fs::path p = fs::absolute(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p;
}

}  // namespace

StagedOutput::StagedOutput(const std::string& what, const std::string& out_dir, bool replace)
    : what_(what), out_dir_(out_dir), replace_(replace) {
  const fs::path out = normalized(out_dir);
  std::error_code ec;
  if (fs::exists(out, ec)) {
    FORGE_CHECK(fs::is_directory(out), what << ": output '" << out_dir << "' exists and is not a folder");
    auto it = fs::directory_iterator(out, ec);
    FORGE_CHECK(!ec, what << ": cannot read output folder '" << out_dir << "': " << ec.message());
    if (it != fs::directory_iterator() && !replace)
      FORGE_THROW(what << ": output folder '" << out_dir << "' is not empty (it holds '" << it->path().filename().string()
                       << "'); older shards there would be trained on too. Pass --replace to replace the folder's "
                          "contents, or choose an empty or new folder");
  }
  fs::create_directories(out.parent_path(), ec);
  FORGE_CHECK(!ec && fs::is_directory(out.parent_path()),
              what << ": cannot create the folder of '" << out_dir << "': " << ec.message());
  staging_ = (out.parent_path() / ("." + out.filename().string() + ".staging-" + std::to_string(::getpid()))).string();
  fs::remove_all(staging_, ec);
  fs::create_directory(staging_, ec);
  FORGE_CHECK(!ec, what << ": cannot create the staging folder '" << staging_ << "': " << ec.message());
}

StagedOutput::~StagedOutput() {
  if (published_) return;
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
}

void StagedOutput::publish() {
  const fs::path out = normalized(out_dir_);
  std::error_code ec;
  const bool occupied = fs::exists(out) && !fs::is_empty(out);
  FORGE_CHECK(!occupied || replace_, what_ << ": output folder '" << out_dir_ << "' was filled while this ran");
  if (fs::exists(out) && !occupied) fs::remove(out, ec);
  if (!occupied) {
    fs::rename(staging_, out, ec);
    FORGE_CHECK(!ec, what_ << ": cannot move '" << staging_ << "' to '" << out_dir_ << "': " << ec.message());
  } else {
    // One atomic step: the folder holds either the old shards or the new ones, never a mix.
    FORGE_CHECK(::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) == 0,
                what_ << ": cannot exchange '" << staging_ << "' with '" << out_dir_ << "': " << std::strerror(errno));
    fs::remove_all(staging_, ec);  // now the old contents
  }
  published_ = true;
}

ShardSplit::ShardSplit(std::string prefix, std::string dir, std::string display_dir, const Tokenizer& tokenizer,
                       int64_t shard_tokens)
    : prefix_(std::move(prefix)),
      dir_(std::move(dir)),
      display_dir_(std::move(display_dir)),
      vocab_size_(tokenizer.vocab_size()),
      shard_tokens_(shard_tokens),
      fingerprint_(fingerprint_string(tokenizer.fingerprint())) {}

void ShardSplit::add(std::span<const int32_t> ids, std::span<const uint8_t> loss_mask) {
  const bool narrow = vocab_size_ <= 65536;
  const size_t size = narrow ? tokens16_.size() : tokens32_.size();
  if (size == 0) {  // a fresh shard: reserve it whole (pages are touched only as they fill)
    const size_t want = static_cast<size_t>(std::min<int64_t>(shard_tokens_, int64_t{1} << 28));
    narrow ? tokens16_.reserve(want) : tokens32_.reserve(want);
  }
  doc_offsets_.push_back(static_cast<int64_t>(size));
  if (narrow)
    tokens16_.insert(tokens16_.end(), ids.begin(), ids.end());
  else
    tokens32_.insert(tokens32_.end(), ids.begin(), ids.end());
  loss_mask_.insert(loss_mask_.end(), loss_mask.begin(), loss_mask.end());
  ++documents_;
  tokens_ += static_cast<int64_t>(ids.size());
  if (static_cast<int64_t>(size + ids.size()) >= shard_tokens_) flush();
}

void ShardSplit::flush() {
  const size_t n = tokens16_.size() + tokens32_.size();
  if (n == 0) return;
  char name[96];
  std::snprintf(name, sizeof name, "%s_%06zu.h5", prefix_.c_str(), written_.size());
  ShardContents c;
  c.tokens16 = tokens16_.empty() ? nullptr : tokens16_.data();
  c.tokens32 = tokens32_.empty() ? nullptr : tokens32_.data();
  c.num_tokens = n;
  c.doc_offsets = doc_offsets_.data();
  c.num_documents = doc_offsets_.size();
  c.loss_mask = loss_mask_.empty() ? nullptr : loss_mask_.data();
  c.vocab_size = vocab_size_;
  c.tokenizer_fingerprint = fingerprint_;
  try {
    write_shard((fs::path(dir_) / name).string(), c);
  } catch (const Error& e) {
    FORGE_THROW("cannot write shard '" << (fs::path(display_dir_) / name).string() << "': " << e.what());
  }
  written_.push_back({name, prefix_, static_cast<int64_t>(n), static_cast<int64_t>(doc_offsets_.size()),
                      !loss_mask_.empty()});
  // Give the memory back: the next shard reserves afresh.
  std::vector<uint16_t>().swap(tokens16_);
  std::vector<uint32_t>().swap(tokens32_);
  std::vector<int64_t>().swap(doc_offsets_);
  std::vector<uint8_t>().swap(loss_mask_);
}

void check_prepare_options(const std::string& what, const std::vector<std::string>& inputs, double val_fraction,
                           int64_t shard_tokens) {
  FORGE_CHECK(!inputs.empty(), what << ": no input files given");
  FORGE_CHECK(val_fraction >= 0.0 && val_fraction < 1.0,
              what << ": --val-fraction must be in [0, 1), got " << val_fraction);
  FORGE_CHECK(shard_tokens > 0, what << ": --shard-tokens must be > 0");
}

std::vector<std::string> write_split_manifest(const std::string& dir, const std::vector<const ShardSplit*>& splits,
                                              const Tokenizer& tokenizer) {
  Manifest m;
  m.vocab_size = tokenizer.vocab_size();
  m.tokenizer_fingerprint = fingerprint_string(tokenizer.fingerprint());
  std::vector<std::string> names;
  for (const ShardSplit* s : splits)
    for (const ManifestShard& shard : s->written()) {
      m.shards.push_back(shard);
      names.push_back(shard.file);
    }
  write_manifest(dir, m);
  return names;
}

}  // namespace forge::data
