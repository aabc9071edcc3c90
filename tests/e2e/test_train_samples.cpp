// Text samples during `forge train` (train.sample_interval and the end of
// training, when data.tokenizer is set): printed at the right steps, the same
// on every run, and the training itself (losses) unchanged by them.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "data/tokenizer_files.h"
#include "data/tokenizer_train.h"
#include "tests/e2e/e2e_util.h"

namespace forge {
namespace {

// A tiny training recipe over write_tiny_shards data, tokenizer given or not.
std::string write_train_recipe(const std::filesystem::path& dir, const std::string& tokenizer_dir,
                               const std::string& name, bool tokenizer) {
  const data::Tokenizer made_with = data::load_tokenizer(tokenizer_dir);
  e2e::write_tiny_shards(dir / "shards", 300, 4000, &made_with);
  const std::string path = (dir / (name + ".yaml")).string();
  std::ofstream(path) << "model: {preset: gpt2-test, vocab_size: 304}\n"
                      << "data: {train: '" << (dir / "shards" / "train_*.h5").string() << "', val: '"
                      << (dir / "shards" / "val_*.h5").string() << "', batch_size: 2, seq_len: 16"
                      << (tokenizer ? ", tokenizer: '" + tokenizer_dir + "'" : std::string()) << "}\n"
                      << "train: {max_steps: 5, log_interval: 1, eval_interval: 2, eval_steps: 2, sample_interval: 2,"
                      << " sample_tokens: 6, sample_prompt: 'the cat'}\n"
                      << "run: {dir: '" << (dir / name).string() << "'}\n";
  return path;
}

std::vector<std::string> matches(const std::string& text, const std::string& pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[0]);
  return out;
}

TEST(TrainSamples, PrintedAtIntervalsAndAtTheEndWithoutChangingTraining) {
  const auto dir = e2e::fresh_dir("train_samples");
  const std::string tok = (dir / "tokenizer").string();
  data::BpeTrainOptions options;
  options.vocab_size = 300;
  data::BpeTrainer trainer(options);
  trainer.add_text("the cat sat on the mat. the dog sat on the log. a cat and a dog met on the mat.\n");
  data::save_tokenizer(trainer.train(), tok);
  const auto with = e2e::run_forge("train '" + write_train_recipe(dir, tok, "with", true) + "'");
  ASSERT_EQ(with.exit_code, 0) << with.output;
  const auto samples = matches(with.output, "step +[0-9]+ \\| sample: the cat[^\n]*");
  ASSERT_EQ(samples.size(), 3u) << with.output;  // steps 2, 4 and the last (5)
  EXPECT_EQ(samples[0].rfind("step      2 |", 0), 0u) << samples[0];
  EXPECT_EQ(samples[1].rfind("step      4 |", 0), 0u) << samples[1];
  EXPECT_EQ(samples[2].rfind("step      5 |", 0), 0u) << samples[2];
  // Reproducible, and training is the same with and without samples.
  const auto again = e2e::run_forge("train '" + write_train_recipe(dir, tok, "again", true) + "'");
  EXPECT_EQ(matches(again.output, "step +[0-9]+ \\| sample: [^\n]*"), samples);
  const auto without = e2e::run_forge("train '" + write_train_recipe(dir, tok, "without", false) + "'");
  ASSERT_EQ(without.exit_code, 0) << without.output;
  EXPECT_TRUE(matches(without.output, "sample:").empty()) << without.output;
  const std::string losses = "(loss|val loss) [0-9.]+";
  EXPECT_EQ(matches(without.output, losses), matches(with.output, losses));
  EXPECT_EQ(matches(without.output, losses).size(), 5u + 3u + 2u);  // steps, evals, the final "done" line
}

}  // namespace
}  // namespace forge
