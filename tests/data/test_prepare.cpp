// Streaming `forge prepare`: every input kind (text with and without a
// separator, JSONL with a chosen field, .gz, .zst, folders, globs), output
// independent of the thread count, special-token text kept as plain text,
// the manifest, refusing and replacing a non-empty output folder, and bad or
// empty inputs failing with nothing published.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "data/loader.h"
#include "data/prepare.h"
#include "data/text_input.h"
#include "data/token_shards.h"
#include "data/tokenizer_train.h"
#include "tests/data/test_tokenizer_util.h"
#include "tests/test_util.h"

namespace forge::data {
namespace {
namespace fs = std::filesystem;

Tokenizer small_tokenizer() {
  BpeTrainOptions o;
  o.vocab_size = 400;
  BpeTrainer t(o);
  t.add_text(forge::testing::tokenizer_corpus(3000));
  return t.train();
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

void write_gz(const fs::path& p, const std::string& text) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);
}

std::string zstd_bytes(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  out.resize(n);
  return out;
}

// Every document of the shards in `dir` with prefix `split`, decoded, in order (the trailing <|endoftext|> cut).
std::vector<std::string> documents(const fs::path& dir, const std::string& split, Tokenizer& tok) {
  std::vector<std::string> docs;
  for (const std::string& path : list_shards((dir / (split + "_*.h5")).string())) {
    const TokenShard s = read_shard(path);
    for (size_t d = 0; d < s.doc_offsets.size(); ++d) {
      const size_t begin = static_cast<size_t>(s.doc_offsets[d]);
      const size_t end = d + 1 < s.doc_offsets.size() ? static_cast<size_t>(s.doc_offsets[d + 1]) : s.tokens.size();
      EXPECT_EQ(s.tokens[end - 1], static_cast<uint32_t>(tok.eot_id()));
      std::vector<int32_t> ids(s.tokens.begin() + static_cast<std::ptrdiff_t>(begin),
                               s.tokens.begin() + static_cast<std::ptrdiff_t>(end - 1));
      docs.push_back(tok.decode(ids));
    }
  }
  return docs;
}

TEST(Prepare, ReadsEveryInputKindInOrder) {
  forge::testing::TempDir dir("prepare");
  const fs::path in = dir.path() / "in";
  write_file(in / "a_sep.txt", "first doc\nline two\n%\nsecond doc\n%\n%\nthird, no newline");
  write_file(in / "b.jsonl", "{\"body\": \"json one\", \"text\": \"x\"}\n\n{\"body\": \"json two\"}\n");
  write_gz(in / "c.jsonl.gz", "{\"body\": \"gz json\"}\n");
  std::ofstream(in / "d.txt.zst", std::ios::binary) << zstd_bytes("zstd text\n%\nzstd two\n");
  write_file(in / "folder" / "z.txt", "in a folder\n");
  write_file(in / "folder" / ".hidden", "never read\n");
  Tokenizer tok = small_tokenizer();
  PrepareOptions o;
  o.out_dir = (dir.path() / "out").string();
  o.separator = "%";
  o.text_field = "body";
  const PrepareSummary s = prepare(tok, {(in / "a_*.txt").string(), (in / "b.jsonl").string(),
                                         (in / "c.jsonl.gz").string(), (in / "d.txt.zst").string(), (in / "folder").string()},
                                   o);
  const std::vector<std::string> want = {"first doc\nline two\n", "second doc\n", "third, no newline", "json one",
                                         "json two", "gz json", "zstd text\n", "zstd two\n", "in a folder\n"};
  EXPECT_EQ(documents(o.out_dir, "train", tok), want);
  EXPECT_EQ(s.documents, 9);
  const std::optional<Manifest> m = read_manifest(o.out_dir);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->shards.size(), 1u);
  EXPECT_EQ(m->shards[0].file, "train_000000.h5");
  EXPECT_EQ(m->shards[0].tokens, s.train_tokens);
  EXPECT_EQ(m->tokenizer_fingerprint, fingerprint_string(tok.fingerprint()));
}

TEST(Prepare, SameShardsWhateverTheThreadCount) {
  forge::testing::TempDir dir("prepare");
  std::string text;
  for (int d = 0; d < 300; ++d) text += forge::testing::tokenizer_corpus(20 + d % 50, static_cast<uint32_t>(d)) + "\n%\n";
  write_file(dir.path() / "corpus.txt", text);
  const Tokenizer tok = small_tokenizer();
  std::vector<TokenShard> runs[2];
  for (int k = 0; k < 2; ++k) {
    PrepareOptions o;
    o.out_dir = (dir.path() / ("out" + std::to_string(k))).string();
    o.separator = "%";
    o.val_fraction = 0.2;
    o.shard_tokens = 2000;
    o.threads = k == 0 ? 1 : 3;
    const PrepareSummary s = prepare(tok, {(dir.path() / "corpus.txt").string()}, o);
    EXPECT_GT(s.files.size(), 4u);
    for (const std::string& f : s.files) runs[k].push_back(read_shard(f));
  }
  ASSERT_EQ(runs[0].size(), runs[1].size());
  for (size_t i = 0; i < runs[0].size(); ++i) {
    EXPECT_EQ(runs[0][i].tokens, runs[1][i].tokens) << "shard " << i;
    EXPECT_EQ(runs[0][i].doc_offsets, runs[1][i].doc_offsets) << "shard " << i;
  }
}

TEST(Prepare, SpecialTokenTextInDocumentsIsPlainText) {
  forge::testing::TempDir dir("prepare");
  write_file(dir.path() / "a.txt", "before <|endoftext|> after <|im_start|>user");
  Tokenizer tok = small_tokenizer();
  PrepareOptions o;
  o.out_dir = (dir.path() / "out").string();
  prepare(tok, {(dir.path() / "a.txt").string()}, o);
  const TokenShard s = read_shard((dir.path() / "out" / "train_000000.h5").string());
  const auto eot = static_cast<uint32_t>(tok.eot_id());
  EXPECT_EQ(std::count(s.tokens.begin(), s.tokens.end(), eot), 1);  // only the one forge appends
  EXPECT_EQ(s.tokens.back(), eot);
  EXPECT_EQ(documents(o.out_dir, "train", tok), std::vector<std::string>{"before <|endoftext|> after <|im_start|>user"});
}

TEST(Prepare, RefusesAFullFolderAndReplacesItWhole) {
  forge::testing::TempDir dir("prepare");
  write_file(dir.path() / "one.txt", "the first corpus\n");
  write_file(dir.path() / "two.txt", "the second corpus\n");
  write_file(dir.path() / "bad.jsonl", "{\"text\": \"fine\"}\nnot json\n");
  Tokenizer tok = small_tokenizer();
  PrepareOptions o;
  o.out_dir = (dir.path() / "out").string();
  o.shard_tokens = 3;  // one shard per document
  prepare(tok, {(dir.path() / "one.txt").string(), (dir.path() / "one.txt").string()}, o);
  ASSERT_TRUE(fs::exists(dir.path() / "out" / "train_000001.h5"));

  o.shard_tokens = 1000;
  EXPECT_HAS(forge::testing::error_of([&] { prepare(tok, {(dir.path() / "two.txt").string()}, o); }), "--replace");
  o.replace = true;
  // A bad input leaves the old folder exactly as it was, and no staging folder.
  const std::string e = forge::testing::error_of([&] { prepare(tok, {(dir.path() / "bad.jsonl").string()}, o); });
  EXPECT_HAS(e, "bad.jsonl:2");
  EXPECT_EQ(documents(o.out_dir, "train", tok), (std::vector<std::string>{"the first corpus\n", "the first corpus\n"}));
  prepare(tok, {(dir.path() / "two.txt").string()}, o);
  EXPECT_EQ(documents(o.out_dir, "train", tok), std::vector<std::string>{"the second corpus\n"});
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "train_000001.h5"));  // the older shards are gone
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) entries += entry.is_directory();
  EXPECT_EQ(entries, 1u) << "a staging folder was left behind";
}

TEST(Prepare, EmptyOrBrokenInputsFailNamingThem) {
  forge::testing::TempDir dir("prepare");
  write_file(dir.path() / "empty.txt", "");
  write_file(dir.path() / "blank.jsonl", "\n\n{\"text\": \"\"}\n");
  Tokenizer tok = small_tokenizer();
  PrepareOptions o;
  o.out_dir = (dir.path() / "out").string();
  EXPECT_HAS(forge::testing::error_of([&] {
               prepare(tok, {(dir.path() / "empty.txt").string(), (dir.path() / "blank.jsonl").string()}, o);
             }),
             "hold no text");
  EXPECT_FALSE(fs::exists(o.out_dir));

  std::string gz;
  {
    write_gz(dir.path() / "full.txt.gz", forge::testing::tokenizer_corpus(5000));
    std::ifstream in(dir.path() / "full.txt.gz", std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), {});
  }
  write_file(dir.path() / "cut.txt.gz", gz.substr(0, gz.size() / 2));
  EXPECT_HAS(forge::testing::error_of([&] { prepare(tok, {(dir.path() / "cut.txt.gz").string()}, o); }), "cut.txt.gz");
  const std::string zst = zstd_bytes(forge::testing::tokenizer_corpus(5000));
  write_file(dir.path() / "cut.txt.zst", zst.substr(0, zst.size() / 2));
  EXPECT_HAS(forge::testing::error_of([&] { prepare(tok, {(dir.path() / "cut.txt.zst").string()}, o); }), "cut.txt.zst");
  EXPECT_HAS(forge::testing::error_of([&] { prepare(tok, {(dir.path() / "nothing_*.txt").string()}, o); }),
             "nothing_*.txt");
  EXPECT_FALSE(fs::exists(o.out_dir));
}

TEST(Prepare, TrainsThroughTheLoader) {
  forge::testing::TempDir dir("prepare");
  write_file(dir.path() / "corpus.txt", forge::testing::tokenizer_corpus(4000));
  const Tokenizer tok = small_tokenizer();
  PrepareOptions o;
  o.out_dir = (dir.path() / "out").string();
  o.shard_tokens = 500;
  const PrepareSummary s = prepare(tok, {(dir.path() / "corpus.txt").string()}, o);
  const TokenLoader loader(o.out_dir, 2, 16, Order::random, 1);
  EXPECT_EQ(loader.num_tokens(), s.train_tokens);
  EXPECT_EQ(loader.shards().open_files(), 0u);  // the manifest gave every size
  EXPECT_EQ(loader.tokenizer_fingerprint(), fingerprint_string(tok.fingerprint()));
}

}  // namespace
}  // namespace forge::data
