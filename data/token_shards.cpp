// Reading and writing token shards and their manifest (see token_shards.h).
#include "data/token_shards.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/hdf5_contiguous.h"
#include "io/hdf5_util.h"

namespace forge::data {
namespace fs = std::filesystem;

void write_shard(const std::string& path, const ShardContents& s) {
  FORGE_CHECK(s.vocab_size > 0, "write_shard: vocab_size must be set for '" << path << "'");
  FORGE_CHECK((s.tokens16 == nullptr) != (s.tokens32 == nullptr) || s.num_tokens == 0,
              "write_shard: exactly one of tokens16 / tokens32 must be given for '" << path << "'");
  FORGE_CHECK(s.tokens16 == nullptr || s.vocab_size <= 65536,
              "write_shard: a vocabulary of " << s.vocab_size << " tokens needs 32-bit token ids");
  for (size_t i = 0; i < s.num_tokens; ++i) {
    const uint32_t id = s.tokens16 ? s.tokens16[i] : s.tokens32[i];
    FORGE_CHECK(id < static_cast<uint64_t>(s.vocab_size), "write_shard: token id " << id << " at position " << i
                                                                                  << " is outside the vocabulary (size "
                                                                                  << s.vocab_size << ")");
  }
  const std::string tmp = path + ".tmp";
  try {
    h5::Handle f = h5::create_file(tmp);
    const int64_t n = static_cast<int64_t>(s.num_tokens);
    if (s.tokens32 != nullptr && s.vocab_size <= 65536) {  // callers with 32-bit buffers still get 16-bit files
      std::vector<uint16_t> t16(s.tokens32, s.tokens32 + s.num_tokens);
      h5::write_contiguous(f, f, "tokens", H5T_STD_U16LE, t16.data(), {n}, path);
    } else if (s.tokens32 != nullptr) {
      h5::write_contiguous(f, f, "tokens", H5T_STD_U32LE, s.tokens32, {n}, path);
    } else {
      h5::write_contiguous(f, f, "tokens", H5T_STD_U16LE, s.tokens16, {n}, path);
    }
    h5::write_contiguous(f, f, "doc_offsets", H5T_STD_I64LE, s.doc_offsets,
                         {static_cast<int64_t>(s.num_documents)}, path);
    if (s.loss_mask != nullptr) h5::write_contiguous(f, f, "loss_mask", H5T_STD_U8LE, s.loss_mask, {n}, path);
    h5::write_attr_int(f, "vocab_size", s.vocab_size);
    h5::write_attr_string(f, "tokenizer_fingerprint", s.tokenizer_fingerprint);
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

void write_shard(const std::string& path, const TokenShard& shard) {
  FORGE_CHECK(shard.loss_mask.empty() || shard.loss_mask.size() == shard.tokens.size(),
              "write_shard: loss_mask has " << shard.loss_mask.size() << " entries for " << shard.tokens.size() << " tokens");
  ShardContents c;
  c.tokens32 = shard.tokens.data();
  c.num_tokens = shard.tokens.size();
  c.doc_offsets = shard.doc_offsets.data();
  c.num_documents = shard.doc_offsets.size();
  c.loss_mask = shard.loss_mask.empty() ? nullptr : shard.loss_mask.data();
  c.vocab_size = shard.vocab_size;
  c.tokenizer_fingerprint = shard.tokenizer_fingerprint;
  write_shard(path, c);
}

namespace {

// Reads a whole 1-d dataset converted to `mem_type` (`elem` bytes each):
// contiguous CRC-32C datasets through io/hdf5_contiguous, older ones through HDF5.
template <typename T>
std::vector<T> read_dataset(hid_t f, const std::string& name, hid_t mem_type, const std::string& path) {
  std::vector<T> out(h5::dataset_length(f, name, path));
  h5::Handle ds(H5Dopen2(f, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (h5::is_checked_contiguous(ds, mem_type)) {
    h5::read_contiguous(f, ds, name, out.data(), out.size() * sizeof(T), path);
  } else {
    h5::read_1d(f, name, mem_type, out.data(), path);
  }
  return out;
}

}  // namespace

TokenShard read_shard(const std::string& path) {
  h5::Handle f = h5::open_file_readonly(path);
  TokenShard s;
  FORGE_CHECK(h5::exists(f, "tokens"), "'" << path << "' has no dataset 'tokens'");
  h5::Handle ds(H5Dopen2(f, "tokens", H5P_DEFAULT), H5Dclose);
  if (h5::is_checked_contiguous(ds, H5T_NATIVE_UINT16)) {
    const std::vector<uint16_t> t16 = read_dataset<uint16_t>(f, "tokens", H5T_NATIVE_UINT16, path);
    s.tokens.assign(t16.begin(), t16.end());
  } else {
    s.tokens = read_dataset<uint32_t>(f, "tokens", H5T_NATIVE_UINT32, path);
  }
  s.doc_offsets = read_dataset<int64_t>(f, "doc_offsets", H5T_NATIVE_INT64, path);
  if (h5::exists(f, "loss_mask")) s.loss_mask = read_dataset<uint8_t>(f, "loss_mask", H5T_NATIVE_UINT8, path);
  s.vocab_size = h5::read_attr_int(f, "vocab_size", path);
  s.tokenizer_fingerprint = h5::read_attr_string(f, "tokenizer_fingerprint", path);
  for (size_t i = 0; i < s.tokens.size(); ++i)
    FORGE_CHECK(s.tokens[i] < static_cast<uint64_t>(s.vocab_size),
                "'" << path << "': token id " << s.tokens[i] << " at position " << i << " is outside the vocabulary (size "
                    << s.vocab_size << ")");
  return s;
}

std::string fingerprint_string(uint64_t fingerprint) {
  char fp[32];
  std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(fingerprint));
  return fp;
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

void write_manifest(const std::string& dir, const Manifest& m) {
  nlohmann::json j;
  j["format"] = "forge-token-shards";
  j["vocab_size"] = m.vocab_size;
  j["tokenizer_fingerprint"] = m.tokenizer_fingerprint;
  j["shards"] = nlohmann::json::array();
  for (const ManifestShard& s : m.shards)
    j["shards"].push_back({{"file", s.file}, {"split", s.split}, {"tokens", s.tokens}, {"documents", s.documents},
                           {"loss_mask", s.loss_mask}});
  const fs::path path = fs::path(dir) / kManifestFile, tmp = fs::path(dir) / (std::string(kManifestFile) + ".tmp");
  {
    std::ofstream out(tmp);
    out << j.dump(1) << "\n";
    out.flush();
    FORGE_CHECK(out.good(), "cannot write '" << tmp.string() << "' (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  FORGE_CHECK(!ec, "cannot rename '" << tmp.string() << "' to '" << path.string() << "': " << ec.message());
}

std::optional<Manifest> read_manifest(const std::string& dir) {
  const fs::path path = fs::path(dir) / kManifestFile;
  if (!fs::exists(path)) return std::nullopt;
  std::ifstream in(path);
  FORGE_CHECK(in.good(), "cannot read '" << path.string() << "'");
  Manifest m;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    m.vocab_size = j.at("vocab_size").get<int64_t>();
    m.tokenizer_fingerprint = j.at("tokenizer_fingerprint").get<std::string>();
    for (const auto& s : j.at("shards"))
      m.shards.push_back({s.at("file").get<std::string>(), s.at("split").get<std::string>(),
                          s.at("tokens").get<int64_t>(), s.at("documents").get<int64_t>(), s.at("loss_mask").get<bool>()});
  } catch (const nlohmann::json::exception& e) {
    FORGE_THROW("'" << path.string() << "' is not a valid shard manifest: " << e.what());
  }
  for (const ManifestShard& s : m.shards)
    FORGE_CHECK(s.tokens >= 0 && s.documents >= 0 && !s.file.empty() && s.file.find('/') == std::string::npos,
                "'" << path.string() << "': bad entry for shard '" << s.file << "'");
  return m;
}

}  // namespace forge::data
