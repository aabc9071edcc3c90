// The pretraining loader reading shards in place: windows equal to those of
// the concatenated tokens (random and sequential, across shard boundaries,
// loss masks, older chunked shards), lazy opening through manifest.json, a
// bounded number of open files, corrupt and truncated shards named on first
// touch, and memory that does not grow with the shards' size.
#include <gtest/gtest.h>
#include <malloc.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/philox.h"
#include "data/loader.h"
#include "data/shard_set.h"
#include "data/token_shards.h"
#include "io/hdf5_util.h"
#include "tests/data/test_tokenizer_util.h"
#include "tests/test_util.h"

namespace forge::data {
namespace {
namespace fs = std::filesystem;

std::vector<uint32_t> pseudo_tokens(int64_t n, uint32_t seed, int64_t vocab) {
  std::vector<uint32_t> t(static_cast<size_t>(n));
  uint64_t x = seed * 2654435761u + 1;
  for (auto& v : t) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<uint32_t>((x >> 33) % static_cast<uint64_t>(vocab));
  }
  return t;
}

TokenShard make_shard(std::vector<uint32_t> tokens, int64_t vocab, bool mask = false) {
  TokenShard s;
  s.vocab_size = vocab;
  s.tokenizer_fingerprint = "0123456789abcdef";
  s.doc_offsets = {0};
  if (mask)
    for (size_t i = 0; i < tokens.size(); ++i) s.loss_mask.push_back(static_cast<uint8_t>(i % 3 != 0));
  s.tokens = std::move(tokens);
  return s;
}

std::string shard_path(const fs::path& dir, int i) {
  char name[32];
  std::snprintf(name, sizeof name, "train_%06d.h5", i);
  return (dir / name).string();
}

// The loader's documented semantics over the tokens held in memory.
std::vector<int64_t> reference_targets(const std::vector<uint32_t>& all, const std::vector<uint8_t>& mask, int64_t B,
                                       int64_t T, Order order, uint64_t seed, int64_t accum, int64_t dp, int64_t rank,
                                       int64_t step, int64_t micro, std::vector<int64_t>* inputs) {
  const int64_t N = static_cast<int64_t>(all.size()), W = (N - 1) / T;
  std::vector<int64_t> tg;
  for (int64_t r = 0; r < B; ++r) {
    const int64_t g = step * (B * accum * dp) + micro * (B * dp) + rank * B + r;
    int64_t start;
    if (order == Order::sequential) {
      start = (g % W) * T;
    } else {
      auto x = philox4x32(static_cast<uint64_t>(g), seed);
      start = static_cast<int64_t>(((static_cast<uint64_t>(x[0]) << 32) | x[1]) % static_cast<uint64_t>(N - T));
    }
    for (int64_t t = 0; t < T; ++t) {
      inputs->push_back(all[start + t]);
      tg.push_back(mask.empty() || mask[start + t + 1] ? static_cast<int64_t>(all[start + t + 1]) : -100);
    }
  }
  return tg;
}

std::vector<int64_t> values(const Tensor& t) {
  const int64_t* p = t.data<int64_t>();
  return std::vector<int64_t>(p, p + t.numel());
}

TEST(TokenLoader, WindowsEqualTheConcatenatedTokensAcrossShards) {
  forge::testing::TempDir dir("token_loader");
  std::vector<uint32_t> all;
  std::vector<uint8_t> mask;
  // Shards shorter than a window (a window spans several), a 32-bit vocabulary, and masks on some shards.
  const int64_t vocab = 70000;
  const std::vector<int64_t> sizes = {5, 40, 3, 1, 200, 17};
  for (size_t i = 0; i < sizes.size(); ++i) {
    TokenShard s = make_shard(pseudo_tokens(sizes[i], static_cast<uint32_t>(i), vocab), vocab, i % 2 == 1);
    all.insert(all.end(), s.tokens.begin(), s.tokens.end());
    if (s.loss_mask.empty()) s.loss_mask.assign(s.tokens.size(), 1);
    mask.insert(mask.end(), s.loss_mask.begin(), s.loss_mask.end());
    if (i % 2 == 0) s.loss_mask.clear();
    write_shard(shard_path(dir.path(), static_cast<int>(i)), s);
  }
  for (Order order : {Order::sequential, Order::random}) {
    for (int64_t rank = 0; rank < 2; ++rank) {
      const TokenLoader loader(dir.path().string(), 3, 8, order, 11, 2, 2, rank);
      EXPECT_EQ(loader.num_tokens(), static_cast<int64_t>(all.size()));
      for (int64_t step : {0, 1, 7, 40})
        for (int64_t micro : {0, 1}) {
          std::vector<int64_t> in;
          const auto tg = reference_targets(all, mask, 3, 8, order, 11, 2, 2, rank, step, micro, &in);
          const Batch b = loader.batch(step, micro);
          EXPECT_EQ(values(b.inputs), in) << "step " << step;
          EXPECT_EQ(values(b.targets), tg) << "step " << step;
        }
    }
  }
}

TEST(TokenLoader, ReadsOlderChunkedShards) {
  forge::testing::TempDir dir("token_loader");
  const std::vector<uint32_t> tokens = pseudo_tokens(300, 3, 500);
  {  // the layout forge wrote before shards were contiguous: chunked, Fletcher-32, uint16
    const std::string path = shard_path(dir.path(), 0);
    h5::Handle f = h5::create_file(path);
    std::vector<uint16_t> t16(tokens.begin(), tokens.end());
    const int64_t docs[1] = {0};
    h5::write_1d(f, "tokens", H5T_NATIVE_UINT16, H5T_STD_U16LE, t16.data(), t16.size(), path);
    h5::write_1d(f, "doc_offsets", H5T_NATIVE_INT64, H5T_STD_I64LE, docs, 1, path);
    h5::write_attr_int(f, "vocab_size", 500);
    h5::write_attr_string(f, "tokenizer_fingerprint", "old");
  }
  const TokenLoader loader(dir.path().string(), 4, 16, Order::random, 5);
  for (int64_t step : {0, 3}) {
    std::vector<int64_t> in;
    const auto tg = reference_targets(tokens, {}, 4, 16, Order::random, 5, 1, 1, 0, step, 0, &in);
    EXPECT_EQ(values(loader.batch(step, 0).targets), tg);
  }
  EXPECT_EQ(read_shard(shard_path(dir.path(), 0)).tokens, tokens);
}

TEST(TokenLoader, ManifestShardsOpenLazilyAndFewAtATime) {
  forge::testing::TempDir dir("token_loader");
  const int n = 100;
  Manifest m;
  m.vocab_size = 300;
  m.tokenizer_fingerprint = "0123456789abcdef";
  std::vector<uint32_t> all;
  for (int i = 0; i < n; ++i) {
    TokenShard s = make_shard(pseudo_tokens(50, static_cast<uint32_t>(i), 300), 300);
    all.insert(all.end(), s.tokens.begin(), s.tokens.end());
    write_shard(shard_path(dir.path(), i), s);
    m.shards.push_back({fs::path(shard_path(dir.path(), i)).filename().string(), "train", 50, 1, false});
  }
  write_manifest(dir.path().string(), m);
  const TokenLoader loader((dir.path() / "train_*.h5").string(), 8, 20, Order::random, 1);
  EXPECT_EQ(loader.num_tokens(), 50 * n);
  EXPECT_EQ(loader.shards().open_files(), 0u);  // nothing opened at start-up
  for (int64_t step = 0; step < 40; ++step) {
    std::vector<int64_t> in;
    const auto tg = reference_targets(all, {}, 8, 20, Order::random, 1, 1, 1, 0, step, 0, &in);
    ASSERT_EQ(values(loader.batch(step, 0).targets), tg);
  }
  EXPECT_GT(loader.shards().open_files(), 0u);
  EXPECT_LE(loader.shards().open_files(), ShardSet::kMaxOpenShards);

  // A shard whose size disagrees with the manifest is named when first touched.
  m.shards[0].tokens = 49;
  write_manifest(dir.path().string(), m);
  const TokenLoader stale((dir.path() / "train_*.h5").string(), 1, 20, Order::sequential, 1);
  EXPECT_HAS(forge::testing::error_of([&] { stale.batch(0, 0); }), "train_000000.h5");
}

// Flips one byte inside the tokens of `path` (the last bytes of the data, well
// clear of HDF5's metadata at the start of the file).
void corrupt_tokens(const std::string& path, int64_t tokens) {
  h5::Handle f = h5::open_file_readonly(path);
  h5::Handle ds(H5Dopen2(f, "tokens", H5P_DEFAULT), H5Dclose);
  const haddr_t at = H5Dget_offset(ds) + static_cast<haddr_t>(tokens);  // the middle of a uint16 dataset
  f.reset();
  std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  io.read(&c, 1);
  c ^= 0x01;
  io.seekp(static_cast<std::streamoff>(at));
  io.write(&c, 1);
}

TEST(TokenLoader, CorruptOrTruncatedShardIsNamedOnFirstTouch) {
  forge::testing::TempDir dir("token_loader");
  for (int i = 0; i < 3; ++i)
    write_shard(shard_path(dir.path(), i), make_shard(pseudo_tokens(1000, static_cast<uint32_t>(i), 300), 300));
  corrupt_tokens(shard_path(dir.path(), 1), 1000);
  const TokenLoader loader(dir.path().string(), 1, 100, Order::sequential, 0);  // start-up reads headers only
  EXPECT_NO_THROW(loader.batch(0, 0));                                        // shard 0 is fine
  const std::string e = forge::testing::error_of([&] { loader.batch(10, 0); });  // window 10 is in shard 1
  EXPECT_HAS(e, "train_000001.h5");
  EXPECT_HAS(e, "checksum mismatch");
  EXPECT_HAS(forge::testing::error_of([&] { ShardSet(dir.path().string()).verify_all(); }), "train_000001.h5");

  const std::string last = shard_path(dir.path(), 2);
  fs::resize_file(last, fs::file_size(last) - 100);
  const std::string t = forge::testing::error_of([&] { ShardSet(last).read(0, 10, std::vector<uint32_t>(10).data()); });
  EXPECT_HAS(t, "train_000002.h5");
}

TEST(TokenLoader, RejectsShardsOfAnotherTokenizer) {
  forge::testing::TempDir dir("token_loader");
  write_shard(shard_path(dir.path(), 0), make_shard(pseudo_tokens(100, 0, 300), 300));
  TokenShard other = make_shard(pseudo_tokens(100, 1, 300), 300);
  other.tokenizer_fingerprint = "fedcba9876543210";
  write_shard(shard_path(dir.path(), 1), other);
  const std::string e = forge::testing::error_of([&] { TokenLoader(dir.path().string(), 1, 10, Order::random, 0); });
  EXPECT_HAS(e, "train_000001.h5");
  EXPECT_HAS(e, "different tokenizer");
}

// Heap bytes in use (glibc: arena chunks plus mmap-ed large blocks), to see
// what building a loader and reading batches keeps.
size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

int64_t loader_heap(const fs::path& dir, int64_t tokens_per_shard) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (int i = 0; i < 4; ++i)
    write_shard(shard_path(dir, i), make_shard(pseudo_tokens(tokens_per_shard, static_cast<uint32_t>(i), 300), 300));
  const int64_t before = static_cast<int64_t>(heap_in_use());
  int64_t peak = before;
  {
    const TokenLoader loader(dir.string(), 4, 64, Order::random, 3);
    for (int64_t step = 0; step < 50; ++step) {
      const Batch b = loader.batch(step, 0);
      peak = std::max(peak, static_cast<int64_t>(heap_in_use()));
    }
  }
  return peak - before;
}

TEST(TokenLoader, MemoryDoesNotGrowWithTheShards) {
  forge::testing::TempDir dir("token_loader");
  const int64_t small = loader_heap(dir.path() / "small", 10'000);
  const int64_t large = loader_heap(dir.path() / "large", 2'000'000);  // 32 MB of 32-bit ids had it been loaded
  EXPECT_LT(large, small + (int64_t{1} << 20)) << "small corpus " << small << " bytes, 200x larger " << large;
}

}  // namespace
}  // namespace forge::data
