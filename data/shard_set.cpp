// Token shards read in place with pread (see shard_set.h).
#include "data/shard_set.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "common/error.h"
#include "data/token_shards.h"
#include "io/crc32c.h"
#include "io/hdf5_contiguous.h"
#include "io/hdf5_util.h"

namespace forge::data {
namespace fs = std::filesystem;

namespace {

constexpr size_t kVerifyBlockBytes = size_t(4) << 20;

// Where a contiguous dataset's bytes are and what their CRC-32C must be.
struct Extent {
  uint64_t offset = 0, nbytes = 0;
  uint32_t crc32c = 0;
};

void pread_all(int fd, void* dst, size_t n, uint64_t offset, const std::string& path, const char* what) {
  auto* p = static_cast<unsigned char*>(dst);
  for (size_t done = 0; done < n;) {
    const ssize_t r = ::pread(fd, p + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    FORGE_CHECK(r > 0, "cannot read " << what << " of '" << path
                                      << "': " << (r < 0 ? std::strerror(errno) : "the file is truncated"));
    done += static_cast<size_t>(r);
  }
}

[[noreturn]] void bad_token(const std::string& path, uint32_t id, int64_t position, int64_t vocab) {
  FORGE_THROW("'" << path << "': token id " << id << " at position " << position << " is outside the vocabulary (size "
                  << vocab << ")");
}

}  // namespace

// An open shard: a file descriptor and the datasets' extents (contiguous
// shards), or the HDF5 handles of an older chunked shard.
struct ShardSet::Open {
  size_t shard = 0;
  int fd = -1;
  bool contiguous = false;
  int token_bytes = 0;
  Extent tokens, mask, docs;
  int64_t num_docs = 0;
  h5::Handle file, tokens_ds, mask_ds;  // chunked shards only
  ~Open() {
    if (fd >= 0) ::close(fd);
  }
};

ShardSet::ShardSet(const std::string& spec, bool verify) : spec_(spec), verify_(verify) {
  std::map<std::string, std::optional<Manifest>> manifests;  // by folder
  std::string reference;                                      // where vocab_size_ / fingerprint_ came from
  begin_.push_back(0);
  auto same_tokenizer = [&](int64_t vocab, const std::string& fp, const std::string& where) {
    if (reference.empty()) {
      vocab_size_ = vocab;
      fingerprint_ = fp;
      reference = where;
    }
    FORGE_CHECK(vocab == vocab_size_ && fp == fingerprint_,
                "shard '" << where << "' was made with a different tokenizer (vocab " << vocab << ", fingerprint '" << fp
                          << "') than '" << reference << "' (vocab " << vocab_size_ << ", '" << fingerprint_ << "')");
  };
  for (const std::string& path : list_shards(spec)) {
    const fs::path p(path);
    const std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
    auto it = manifests.find(dir);
    if (it == manifests.end()) it = manifests.emplace(dir, read_manifest(dir)).first;
    const ManifestShard* listed = nullptr;
    if (it->second)
      for (const ManifestShard& s : it->second->shards)
        if (s.file == p.filename().string()) listed = &s;
    Info info;
    info.path = path;
    int64_t tokens = 0;
    if (listed != nullptr) {
      same_tokenizer(it->second->vocab_size, it->second->tokenizer_fingerprint, path);
      tokens = listed->tokens;
      info.mask = listed->loss_mask;
    } else {
      h5::Handle f = h5::open_file_readonly(path);
      tokens = static_cast<int64_t>(h5::dataset_length(f, "tokens", path));  // first: "not a shard" reads best
      same_tokenizer(h5::read_attr_int(f, "vocab_size", path), h5::read_attr_string(f, "tokenizer_fingerprint", path),
                     path);
      info.mask = h5::exists(f, "loss_mask");
    }
    any_mask_ = any_mask_ || info.mask;
    shards_.push_back(std::move(info));
    begin_.push_back(begin_.back() + tokens);
  }
}

ShardSet::~ShardSet() = default;

const std::string& ShardSet::path(size_t shard) const { return shards_[shard].path; }
bool ShardSet::shard_has_loss_mask(size_t shard) const { return shards_[shard].mask; }

size_t ShardSet::open_files() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return open_.size();
}

namespace {

Extent locate(hid_t f, const char* name, hid_t type, int64_t expect_length, const std::string& path) {
  FORGE_CHECK(h5::exists(f, name), "'" << path << "' has no dataset '" << name << "'");
  const int64_t length = static_cast<int64_t>(h5::dataset_length(f, name, path));
  FORGE_CHECK(expect_length < 0 || length == expect_length,
              "'" << path << "': dataset '" << name << "' holds " << length << " entries, expected " << expect_length
                  << " (the shard changed since its folder's manifest.json was written?)");
  h5::Handle ds(H5Dopen2(f, name, H5P_DEFAULT), H5Dclose);
  FORGE_CHECK(h5::is_checked_contiguous(ds, type), "'" << path << "': dataset '" << name
                                                       << "' is not stored as forge writes it");
  const size_t nbytes = static_cast<size_t>(length) * H5Tget_size(type);
  const h5::ContiguousRead r = h5::locate_contiguous(ds, name, nullptr, nbytes, path);
  return {r.offset, nbytes, r.crc32c};
}

// Streams a contiguous dataset through a CRC-32C; for tokens (`token_bytes` > 0)
// also checks every id against the vocabulary.
void verify_extent(int fd, const Extent& e, const char* name, int token_bytes, int64_t vocab, const std::string& path) {
  std::vector<unsigned char> buf(std::min<uint64_t>(e.nbytes, kVerifyBlockBytes));
  uint32_t crc = 0;
  for (uint64_t done = 0; done < e.nbytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kVerifyBlockBytes, e.nbytes - done));
    pread_all(fd, buf.data(), n, e.offset + done, path, name);
    crc = crc32c_update(buf.data(), n, crc);
    if (token_bytes > 0) {
      const int64_t first = static_cast<int64_t>(done) / token_bytes, count = static_cast<int64_t>(n) / token_bytes;
      for (int64_t i = 0; i < count; ++i) {
        uint32_t id;
        if (token_bytes == 2) {
          uint16_t v;
          std::memcpy(&v, buf.data() + i * 2, 2);
          id = v;
        } else {
          std::memcpy(&id, buf.data() + i * 4, 4);
        }
        if (id >= static_cast<uint64_t>(vocab)) bad_token(path, id, first + i, vocab);
      }
    }
    done += n;
  }
  FORGE_CHECK(crc == e.crc32c, "checksum mismatch in dataset '" << name << "' of '" << path
                                                                << "': the file is corrupt (CRC-32C of the data 0x"
                                                                << std::hex << crc << ", stored 0x" << e.crc32c << ")");
}

void check_doc_offsets(const std::vector<int64_t>& d, int64_t tokens, const std::string& path) {
  for (size_t i = 0; i < d.size(); ++i)
    FORGE_CHECK(d[i] >= 0 && d[i] <= tokens && (i == 0 || d[i] >= d[i - 1]),
                "shard '" << path << "': /doc_offsets[" << i << "] = " << d[i] << " is out of order or past the "
                          << tokens << " tokens");
}

// Reads [first, first + count) of a chunked 1-d dataset (HDF5 checks Fletcher-32).
void read_hyperslab(hid_t ds, hid_t mem_type, int64_t first, int64_t count, void* out, const char* name,
                    const std::string& path) {
  if (count == 0) return;
  h5::Handle space(H5Dget_space(ds), H5Sclose);
  const hsize_t start[1] = {static_cast<hsize_t>(first)}, n[1] = {static_cast<hsize_t>(count)};
  h5::Handle mem(H5Screate_simple(1, n, nullptr), H5Sclose);
  FORGE_CHECK(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, n, nullptr) >= 0 &&
                  H5Dread(ds, mem_type, mem, space, H5P_DEFAULT, out) >= 0,
              "cannot read dataset '" << name << "' from '" << path << "': checksum mismatch or corrupt file ("
                                      << h5::error_message() << ")");
}

}  // namespace

ShardSet::Open& ShardSet::open(size_t shard) const {
  for (size_t k = 0; k < open_.size(); ++k)
    if (open_[k]->shard == shard) {
      std::rotate(open_.begin() + static_cast<std::ptrdiff_t>(k), open_.begin() + static_cast<std::ptrdiff_t>(k) + 1,
                  open_.end());
      return *open_.back();
    }
  Info& info = const_cast<Info&>(shards_[shard]);
  const std::string& path = info.path;
  const int64_t tokens = shard_tokens(shard);
  auto o = std::make_unique<Open>();
  o->shard = shard;
  h5::Handle f = h5::open_file_readonly(path);
  const int64_t vocab = h5::read_attr_int(f, "vocab_size", path);
  const std::string fp = h5::read_attr_string(f, "tokenizer_fingerprint", path);
  FORGE_CHECK(vocab == vocab_size_ && fp == fingerprint_,
              "shard '" << path << "' was made with a different tokenizer (vocab " << vocab << ", fingerprint '" << fp
                        << "') than the other shards of '" << spec_ << "' (vocab " << vocab_size_ << ", '"
                        << fingerprint_ << "')");
  FORGE_CHECK(h5::exists(f, "loss_mask") == info.mask,
              "'" << path << "' " << (info.mask ? "lost" : "gained")
                  << " its /loss_mask since its folder's manifest.json was written");
  FORGE_CHECK(h5::exists(f, "tokens"), "'" << path << "' has no dataset 'tokens'");
  {
    h5::Handle ds(H5Dopen2(f, "tokens", H5P_DEFAULT), H5Dclose);
    o->token_bytes = h5::is_checked_contiguous(ds, H5T_NATIVE_UINT16)   ? 2
                     : h5::is_checked_contiguous(ds, H5T_NATIVE_UINT32) ? 4
                                                                        : 0;
  }
  o->contiguous = o->token_bytes != 0;
  if (o->contiguous) {
    o->tokens = locate(f, "tokens", o->token_bytes == 2 ? H5T_NATIVE_UINT16 : H5T_NATIVE_UINT32, tokens, path);
    if (info.mask) o->mask = locate(f, "loss_mask", H5T_NATIVE_UINT8, tokens, path);
    o->num_docs = static_cast<int64_t>(h5::dataset_length(f, "doc_offsets", path));
    o->docs = locate(f, "doc_offsets", H5T_NATIVE_INT64, -1, path);
    f.reset();
    o->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    FORGE_CHECK(o->fd >= 0, "cannot open '" << path << "': " << std::strerror(errno));
    struct stat st {};
    FORGE_CHECK(::fstat(o->fd, &st) == 0, "cannot stat '" << path << "': " << std::strerror(errno));
    for (const Extent* e : {&o->tokens, &o->mask, &o->docs})
      FORGE_CHECK(e->nbytes == 0 || e->offset + e->nbytes <= static_cast<uint64_t>(st.st_size),
                  "'" << path << "' is truncated: its data runs to byte " << e->offset + e->nbytes << " but the file has "
                      << st.st_size << " bytes");
    if (verify_ && !info.verified) {
      verify_extent(o->fd, o->tokens, "tokens", o->token_bytes, vocab_size_, path);
      verify_extent(o->fd, o->mask, "loss_mask", 0, 0, path);
      verify_extent(o->fd, o->docs, "doc_offsets", 0, 0, path);
    }
  } else {
    // A shard written before forge stored datasets contiguously: chunked with Fletcher-32, read through HDF5.
    FORGE_CHECK(static_cast<int64_t>(h5::dataset_length(f, "tokens", path)) == tokens,
                "'" << path << "' holds " << h5::dataset_length(f, "tokens", path) << " tokens, expected " << tokens
                    << " (the shard changed since its folder's manifest.json was written?)");
    o->tokens_ds = h5::Handle(H5Dopen2(f, "tokens", H5P_DEFAULT), H5Dclose);
    if (info.mask) o->mask_ds = h5::Handle(H5Dopen2(f, "loss_mask", H5P_DEFAULT), H5Dclose);
    o->num_docs = static_cast<int64_t>(h5::dataset_length(f, "doc_offsets", path));
    o->file = std::move(f);
    if (verify_ && !info.verified) {
      std::vector<uint32_t> buf;
      std::vector<uint8_t> mbuf;
      const int64_t block = int64_t{1} << 20;
      for (int64_t first = 0; first < tokens; first += block) {
        const int64_t n = std::min(block, tokens - first);
        buf.resize(static_cast<size_t>(n));
        read_hyperslab(o->tokens_ds, H5T_NATIVE_UINT32, first, n, buf.data(), "tokens", path);
        for (int64_t i = 0; i < n; ++i)
          if (buf[i] >= static_cast<uint64_t>(vocab_size_)) bad_token(path, buf[i], first + i, vocab_size_);
        if (info.mask) {
          mbuf.resize(static_cast<size_t>(n));
          read_hyperslab(o->mask_ds, H5T_NATIVE_UINT8, first, n, mbuf.data(), "loss_mask", path);
        }
      }
    }
  }
  if (verify_ && !info.verified) {
    std::vector<int64_t> docs(static_cast<size_t>(o->num_docs));
    if (o->contiguous) {
      if (o->docs.nbytes > 0) pread_all(o->fd, docs.data(), o->docs.nbytes, o->docs.offset, path, "doc_offsets");
    } else {
      h5::read_1d(o->file, "doc_offsets", H5T_NATIVE_INT64, docs.data(), path);
    }
    check_doc_offsets(docs, tokens, path);
    info.verified = true;
  }
  if (open_.size() >= kMaxOpenShards) open_.erase(open_.begin());
  open_.push_back(std::move(o));
  return *open_.back();
}

void ShardSet::read(int64_t begin, int64_t n, uint32_t* tokens, uint8_t* mask) const {
  FORGE_CHECK(begin >= 0 && n >= 0 && begin + n <= num_tokens(),
              "token range [" << begin << ", " << begin + n << ") is outside the " << num_tokens() << " tokens of '"
                              << spec_ << "'");
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<uint16_t> narrow;
  while (n > 0) {
    const size_t s = static_cast<size_t>(std::upper_bound(begin_.begin(), begin_.end(), begin) - begin_.begin() - 1);
    const int64_t local = begin - begin_[s], take = std::min(n, begin_[s + 1] - begin);
    Open& o = open(s);
    const std::string& path = shards_[s].path;
    if (o.contiguous && o.token_bytes == 2) {
      narrow.resize(static_cast<size_t>(take));
      pread_all(o.fd, narrow.data(), static_cast<size_t>(take) * 2, o.tokens.offset + static_cast<uint64_t>(local) * 2,
                path, "tokens");
      for (int64_t i = 0; i < take; ++i) tokens[i] = narrow[static_cast<size_t>(i)];
    } else if (o.contiguous) {
      pread_all(o.fd, tokens, static_cast<size_t>(take) * 4, o.tokens.offset + static_cast<uint64_t>(local) * 4, path,
                "tokens");
    } else {
      read_hyperslab(o.tokens_ds, H5T_NATIVE_UINT32, local, take, tokens, "tokens", path);
    }
    for (int64_t i = 0; i < take; ++i)
      if (tokens[i] >= static_cast<uint64_t>(vocab_size_)) bad_token(path, tokens[i], local + i, vocab_size_);
    if (mask != nullptr) {
      if (!shards_[s].mask)
        std::fill(mask, mask + take, uint8_t{1});
      else if (o.contiguous)
        pread_all(o.fd, mask, static_cast<size_t>(take), o.mask.offset + static_cast<uint64_t>(local), path, "loss_mask");
      else
        read_hyperslab(o.mask_ds, H5T_NATIVE_UINT8, local, take, mask, "loss_mask", path);
      mask += take;
    }
    tokens += take;
    begin += take;
    n -= take;
  }
}

std::vector<int64_t> ShardSet::doc_offsets(size_t shard) const {
  std::lock_guard<std::mutex> lock(mutex_);
  Open& o = open(shard);
  const std::string& path = shards_[shard].path;
  std::vector<int64_t> docs(static_cast<size_t>(o.num_docs));
  if (o.contiguous) {
    if (o.docs.nbytes > 0) pread_all(o.fd, docs.data(), o.docs.nbytes, o.docs.offset, path, "doc_offsets");
  } else {
    h5::read_1d(o.file, "doc_offsets", H5T_NATIVE_INT64, docs.data(), path);
  }
  check_doc_offsets(docs, shard_tokens(shard), path);
  return docs;
}

int64_t ShardSet::verify_all() const {
  int64_t bytes = 0;
  for (size_t s = 0; s < shards_.size(); ++s) {
    std::lock_guard<std::mutex> lock(mutex_);
    open(s);
    bytes += static_cast<int64_t>(fs::file_size(shards_[s].path));
  }
  return bytes;
}

}  // namespace forge::data
