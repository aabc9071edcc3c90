// Reading and writing token shards (see token_shards.h).
#include "data/token_shards.h"

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "io/hdf5_util.h"

namespace forge::data {
namespace fs = std::filesystem;

void write_shard(const std::string& path, const TokenShard& shard) {
  FORGE_CHECK(shard.vocab_size > 0, "write_shard: vocab_size must be set for '" << path << "'");
  for (size_t i = 0; i < shard.tokens.size(); ++i)
    FORGE_CHECK(shard.tokens[i] < static_cast<uint64_t>(shard.vocab_size),
                "write_shard: token id " << shard.tokens[i] << " at position " << i << " is outside the vocabulary (size "
                                         << shard.vocab_size << ")");
  FORGE_CHECK(shard.loss_mask.empty() || shard.loss_mask.size() == shard.tokens.size(),
              "write_shard: loss_mask has " << shard.loss_mask.size() << " entries for " << shard.tokens.size() << " tokens");
  const std::string tmp = path + ".tmp";
  try {
    h5::Handle f = h5::create_file(tmp);
    const bool small = shard.vocab_size <= 65536;
    if (small) {
      std::vector<uint16_t> t16(shard.tokens.begin(), shard.tokens.end());
      h5::write_1d(f, "tokens", H5T_NATIVE_UINT16, H5T_STD_U16LE, t16.data(), t16.size(), path);
    } else {
      h5::write_1d(f, "tokens", H5T_NATIVE_UINT32, H5T_STD_U32LE, shard.tokens.data(), shard.tokens.size(), path);
    }
    h5::write_1d(f, "doc_offsets", H5T_NATIVE_INT64, H5T_STD_I64LE, shard.doc_offsets.data(), shard.doc_offsets.size(), path);
    if (!shard.loss_mask.empty())
      h5::write_1d(f, "loss_mask", H5T_NATIVE_UINT8, H5T_STD_U8LE, shard.loss_mask.data(), shard.loss_mask.size(), path);
    h5::write_attr_int(f, "vocab_size", shard.vocab_size);
    h5::write_attr_string(f, "tokenizer_fingerprint", shard.tokenizer_fingerprint);
    FORGE_CHECK(H5Fflush(f, H5F_SCOPE_GLOBAL) >= 0, "cannot flush '" << tmp << "' (disk full?)");
  } catch (const Error&) {
    std::error_code ignored;
    fs::remove(tmp, ignored);  // a failed write (disk full, file-size limit) leaves no partial file behind
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  FORGE_CHECK(!ec, "cannot rename '" << tmp << "' to '" << path << "': " << ec.message());
}

TokenShard read_shard(const std::string& path) {
  h5::Handle f = h5::open_file_readonly(path);
  TokenShard s;
  s.tokens.resize(h5::dataset_length(f, "tokens", path));
  h5::read_1d(f, "tokens", H5T_NATIVE_UINT32, s.tokens.data(), path);
  s.doc_offsets.resize(h5::dataset_length(f, "doc_offsets", path));
  h5::read_1d(f, "doc_offsets", H5T_NATIVE_INT64, s.doc_offsets.data(), path);
  if (h5::exists(f, "loss_mask")) {
    s.loss_mask.resize(h5::dataset_length(f, "loss_mask", path));
    h5::read_1d(f, "loss_mask", H5T_NATIVE_UINT8, s.loss_mask.data(), path);
  }
  s.vocab_size = h5::read_attr_int(f, "vocab_size", path);
  s.tokenizer_fingerprint = h5::read_attr_string(f, "tokenizer_fingerprint", path);
  for (size_t i = 0; i < s.tokens.size(); ++i)
    FORGE_CHECK(s.tokens[i] < static_cast<uint64_t>(s.vocab_size),
                "'" << path << "': token id " << s.tokens[i] << " at position " << i << " is outside the vocabulary (size "
                    << s.vocab_size << ")");
  return s;
}

void check_same_tokenizer(const TokenShard& s, const std::string& path, int64_t& vocab_size, std::string& fingerprint) {
  if (vocab_size == 0) {
    vocab_size = s.vocab_size;
    fingerprint = s.tokenizer_fingerprint;
  }
  FORGE_CHECK(s.vocab_size == vocab_size && s.tokenizer_fingerprint == fingerprint,
              "shard '" << path << "' was made with a different tokenizer (vocab " << s.vocab_size << ", fingerprint '"
                        << s.tokenizer_fingerprint << "') than the first shard (vocab " << vocab_size << ", '"
                        << fingerprint << "')");
}

std::vector<std::string> list_shards(const std::string& spec) {
  std::vector<std::string> out;
  fs::path p(spec);
  if (fs::is_directory(p)) {
    for (const auto& e : fs::directory_iterator(p))
      if (e.path().extension() == ".h5") out.push_back(e.path().string());
  } else if (spec.find('*') != std::string::npos) {
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    const std::string pattern = p.filename().string();
    const size_t star = pattern.find('*');
    const std::string prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
    FORGE_CHECK(suffix.find('*') == std::string::npos, "shard pattern '" << spec << "': only one '*' is supported");
    if (fs::is_directory(dir)) {
      for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.size() >= prefix.size() + suffix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
          out.push_back(e.path().string());
      }
    }
  } else if (fs::exists(p)) {
    out.push_back(spec);
  }
  FORGE_CHECK(!out.empty(), "no token shards found at '" << spec << "'");
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace forge::data
