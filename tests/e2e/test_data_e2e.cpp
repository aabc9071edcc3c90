// The data commands through the `forge` binary: training refuses shards made
// by another tokenizer (train vs val, data vs data.tokenizer), and an empty
// corpus fails `tokenizer train` and `prepare` with exit status 1.
#include <gtest/gtest.h>

#include <fstream>

#include "data/tokenizer_files.h"
#include "data/tokenizer_train.h"
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

}  // namespace
}  // namespace forge
