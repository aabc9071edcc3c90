// The data commands through the `forge` binary: training refuses shards made
// by another tokenizer (train vs val, data vs data.tokenizer); an empty corpus
// fails `tokenizer train` and `prepare` with exit status 1; `prepare` refuses
// a non-empty folder unless --replace, reads JSONL fields and prints progress;
// `tokenize` keeps special-token text plain unless --allow-special;
// `verify-data` names a corrupt shard.
#include <gtest/gtest.h>

#include <fstream>

#include "data/tokenizer_files.h"
#include "data/tokenizer_train.h"
#include "io/hdf5_util.h"
#include "tests/e2e/e2e_util.h"
#include "tests/test_util.h"

namespace forge {
namespace {
namespace fs = std::filesystem;

void write_tokenizer(const fs::path& dir, const std::string& text) {
  data::BpeTrainOptions o;
  o.vocab_size = 300;
  data::BpeTrainer t(o);
  t.add_text(text);
  data::save_tokenizer(t.train(), dir);
}

std::string recipe(const fs::path& dir, const std::string& train, const std::string& val, const std::string& tok) {
  const std::string path = (dir / "r.yaml").string();
  std::ofstream(path) << "model: {preset: gpt2-test, vocab_size: 304}\n"
                      << "data: {train: '" << train << "', val: '" << val << "', batch_size: 2, seq_len: 16"
                      << (tok.empty() ? std::string() : ", tokenizer: '" + tok + "'") << "}\n"
                      << "train: {max_steps: 1, eval_interval: 1, eval_steps: 1}\n"
                      << "run: {dir: '" << (dir / "run").string() << "'}\n";
  return path;
}

TEST(DataE2e, TrainingRefusesShardsOfAnotherTokenizer) {
  const fs::path dir = e2e::fresh_dir("data");
  write_tokenizer(dir / "tok_a", "the cat sat on the mat. the dog sat on the log.\n");
  write_tokenizer(dir / "tok_b", "completely different words here, numbers 12345 and more.\n");
  const data::Tokenizer a = data::load_tokenizer(dir / "tok_a"), b = data::load_tokenizer(dir / "tok_b");
  e2e::write_tiny_shards(dir / "a", 300, 2000, &a);
  e2e::write_tiny_shards(dir / "b", 300, 2000, &b);
  const std::string train_a = (dir / "a" / "train_*.h5").string(), val_a = (dir / "a" / "val_*.h5").string();
  const std::string val_b = (dir / "b" / "val_*.h5").string();

  ASSERT_EQ(e2e::run_forge("train '" + recipe(dir, train_a, val_a, (dir / "tok_a").string()) + "'").exit_code, 0);
  auto r = e2e::run_forge("train '" + recipe(dir, train_a, val_b, "") + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_HAS(r.output, "data.val was made with a different tokenizer than data.train");
  EXPECT_HAS(r.output, (dir / "b" / "val_000000.h5").string());
  r = e2e::run_forge("train '" + recipe(dir, train_a, val_a, (dir / "tok_b").string()) + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_HAS(r.output, "data.train was made with a different tokenizer than '" + (dir / "tok_b").string() + "'");
  EXPECT_HAS(r.output, (dir / "a" / "train_000000.h5").string());
}

TEST(DataE2e, EmptyCorpusFailsTokenizerTrainAndPrepare) {
  const fs::path dir = e2e::fresh_dir("data");
  std::ofstream(dir / "empty.txt").close();
  auto r = e2e::run_forge("tokenizer train --vocab-size 300 --out '" + (dir / "tok").string() + "' '" +
                          (dir / "empty.txt").string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_HAS(r.output, "holds no text");
  EXPECT_FALSE(fs::exists(dir / "tok" / "vocab.json"));

  write_tokenizer(dir / "tok", "some words to learn from, some words.\n");
  r = e2e::run_forge("prepare --tokenizer '" + (dir / "tok").string() + "' --out '" + (dir / "shards").string() + "' '" +
                     (dir / "empty.txt").string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_HAS(r.output, "hold no text");
  EXPECT_FALSE(fs::exists(dir / "shards"));
}

TEST(DataE2e, PrepareReplaceFieldsAndProgress) {
  const fs::path dir = e2e::fresh_dir("data");
  write_tokenizer(dir / "tok", "the cat sat on the mat. the dog sat on the log.\n");
  std::ofstream(dir / "a.jsonl") << "{\"body\": \"the cat sat\"}\n{\"body\": \"on the mat\"}\n";
  const std::string base = "prepare --tokenizer '" + (dir / "tok").string() + "' --out '" + (dir / "out").string() + "'";
  auto r = e2e::run_forge(base + " --text-field body '" + (dir / "a.jsonl").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_HAS(r.output, "prepare: 0.00 / 0.00 GB (100%), 2 documents");  // the final progress line
  EXPECT_HAS(r.output, "prepared 2 documents");
  EXPECT_TRUE(fs::exists(dir / "out" / "manifest.json"));

  r = e2e::run_forge(base + " --text-field body '" + (dir / "a.jsonl").string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_HAS(r.output, "is not empty");
  r = e2e::run_forge(base + " '" + (dir / "a.jsonl").string() + "' --replace --quiet");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_HAS(r.output, "a.jsonl:1: expected an object with a string field \"text\"");
  EXPECT_TRUE(fs::exists(dir / "out" / "train_000000.h5"));  // untouched
  r = e2e::run_forge(base + " --text-field body '" + (dir / "a.jsonl").string() + "' --replace --quiet");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("prepare: "), std::string::npos) << r.output;

  r = e2e::run_forge("verify-data '" + (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_HAS(r.output, ": ok, 1 shards");
  const std::string shard = (dir / "out" / "train_000000.h5").string();
  haddr_t at = 0;
  {
    h5::Handle file = h5::open_file_readonly(shard);
    h5::Handle tokens(H5Dopen2(file, "tokens", H5P_DEFAULT), H5Dclose);
    at = H5Dget_offset(tokens);
  }
  std::fstream f(shard, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(at));
  f.put('\x7f');  // the first token's low byte
  f.close();
  r = e2e::run_forge("verify-data '" + (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_HAS(r.output, "train_000000.h5");
}

TEST(DataE2e, TokenizeKeepsSpecialTextPlainUnlessAllowed) {
  const fs::path dir = e2e::fresh_dir("data");
  write_tokenizer(dir / "tok", "the cat sat on the mat. the dog sat on the log.\n");
  const data::Tokenizer tok = data::load_tokenizer(dir / "tok");
  std::ofstream(dir / "t.txt") << "<|endoftext|>";
  const std::string eot = std::to_string(tok.eot_id());
  auto r = e2e::run_forge("tokenize --tokenizer '" + (dir / "tok").string() + "' '" + (dir / "t.txt").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find(eot), std::string::npos) << r.output;
  EXPECT_GT(r.output.size(), eot.size() + 2) << r.output;  // several byte-level tokens
  r = e2e::run_forge("tokenize --allow-special --tokenizer '" + (dir / "tok").string() + "' '" +
                     (dir / "t.txt").string() + "'");
  EXPECT_EQ(r.output, eot + "\n");
}

}  // namespace
}  // namespace forge
