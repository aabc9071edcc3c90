// `forge sample` and `forge eval` through the real binary, on a checkpoint
// written with the library: their output equals the library's own generation
// and evaluation, and bad input is a clear error with exit status 1.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>

#include "autograd/ops.h"
#include "data/tokenizer_files.h"
#include "data/tokenizer_train.h"
#include "nn/generate.h"
#include "nn/transformer.h"
#include "checkpoint/checkpoint.h"
#include "train/evaluate.h"
#include "train/inference.h"
#include "tests/e2e/e2e_util.h"

namespace forge {
namespace {

struct Fixture {
  std::filesystem::path dir, checkpoint, tokenizer_dir;
  recipes::CheckpointContents contents;
};

// A tokenizer of 300 tokens, a one-layer GPT-2 over them (weights scaled up so
// generations vary), and its checkpoint whose recipe names the tokenizer.
Fixture make_fixture(const std::string& tag, bool with_recipe = true) {
  Fixture f;
  f.dir = e2e::fresh_dir(tag);
  f.tokenizer_dir = f.dir / "tokenizer";
  data::BpeTrainOptions options;
  options.vocab_size = 300;
  data::BpeTrainer trainer(options);
  trainer.add_text("the cat sat on the mat. the dog sat on the log. a cat and a dog met on the mat.\n");
  data::save_tokenizer(trainer.train(), f.tokenizer_dir);

  nn::ModelConfig c = nn::preset("gpt2-test");
  c.n_layer = 1;
  c.vocab_size = 304;
  c.block_size = 24;
  nn::TransformerLM model(c, 3);
  f.contents.model_config = c;
  for (const auto& [name, t] : model.named_parameters())
    f.contents.model.emplace_back(name, t.dim() >= 2 ? ops::mul_scalar(t.detach(), 10.0) : t.detach().clone());
  if (with_recipe)
    f.contents.recipe_yaml = "model: {family: gpt2, n_layer: 1, n_head: 2, n_embd: 32, vocab_size: 304, block_size: 24}\n"
                             "data: {train: x.h5, tokenizer: '" + f.tokenizer_dir.string() + "', seq_len: 10}\n"
                             "train: {max_steps: 1}\n";
  f.checkpoint = f.dir / "step_1.h5";
  recipes::save_checkpoint(f.checkpoint.string(), f.contents);
  return f;
}

std::string expected_sample(const recipes::CheckpointContents& contents, const std::filesystem::path& tokenizer_dir,
                            const std::string& prompt, nn::GenerateOptions o) {
  auto model = recipes::model_from_checkpoint(contents, "fixture");
  data::Tokenizer tok = data::load_tokenizer(tokenizer_dir);
  std::vector<int64_t> ids;
  for (int32_t id : tok.encode(prompt)) ids.push_back(id);
  o.vocab_limit = tok.vocab_size();
  o.stop_token = tok.eot_id();
  std::vector<int32_t> out;
  for (int64_t id : nn::generate(*model, ids, o)) out.push_back(static_cast<int32_t>(id));
  return prompt + tok.decode(out) + "\n";
}

TEST(SampleCommand, PrintsTheLibrarysGeneration) {
  const Fixture f = make_fixture("sample");
  const std::string ck = f.checkpoint.string();
  nn::GenerateOptions o;
  o.max_new_tokens = 12;
  o.temperature = 0.8;
  o.top_k = 20;
  o.top_p = 0.9;
  o.seed = 5;
  const auto r = e2e::run_forge("sample '" + ck + "' --prompt 'the cat' --max-new-tokens 12 --temperature 0.8 "
                                "--top-k 20 --top-p 0.9 --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, expected_sample(f.contents, f.tokenizer_dir, "the cat", o));
  EXPECT_EQ(e2e::run_forge("sample '" + ck + "' --prompt 'the cat' --max-new-tokens 12 --temperature 0.8 "
                           "--top-k 20 --top-p 0.9 --seed 5").output,
            r.output);  // reproducible
  const auto other_seed = e2e::run_forge("sample '" + ck + "' --prompt 'the cat' --max-new-tokens 12 --temperature 0.8 "
                                         "--top-k 20 --top-p 0.9 --seed 6");
  EXPECT_NE(other_seed.output, r.output);

  nn::GenerateOptions greedy;
  greedy.max_new_tokens = 20;
  greedy.temperature = 0.0;
  const auto g = e2e::run_forge("sample '" + ck + "' --prompt 'a dog' --max-new-tokens 20 --temperature 0");
  ASSERT_EQ(g.exit_code, 0) << g.output;
  EXPECT_EQ(g.output, expected_sample(f.contents, f.tokenizer_dir, "a dog", greedy));
  // Any bytes encode (byte-level BPE), invalid UTF-8 included: printed back as given.
  const auto bytes = e2e::run_forge("sample '" + ck + "' --prompt \"$(printf '\\377\\376ok')\" --max-new-tokens 3");
  ASSERT_EQ(bytes.exit_code, 0) << bytes.output;
  EXPECT_EQ(bytes.output.rfind("\xff\xfeok", 0), 0u) << bytes.output;
  // Without --max-new-tokens: 64, capped to what fits in block_size 24.
  const auto capped = e2e::run_forge("sample '" + ck + "' --prompt 'a dog' --temperature 0 --no-stop");
  ASSERT_EQ(capped.exit_code, 0) << capped.output;
  greedy.max_new_tokens = 24 - static_cast<int64_t>(data::load_tokenizer(f.tokenizer_dir).encode("a dog").size());
  greedy.stop_token = -1;
  auto model = recipes::model_from_checkpoint(f.contents, "fixture");
  data::Tokenizer tok = data::load_tokenizer(f.tokenizer_dir);
  std::vector<int64_t> prompt;
  for (int32_t id : tok.encode("a dog")) prompt.push_back(id);
  greedy.vocab_limit = tok.vocab_size();
  const std::vector<int64_t> ids = nn::generate(*model, prompt, greedy);
  EXPECT_EQ(capped.output, "a dog" + tok.decode(std::vector<int32_t>(ids.begin(), ids.end())) + "\n");
}

TEST(SampleCommand, TokenizerFlagWhenTheCheckpointHasNoRecipe) {
  const Fixture f = make_fixture("sample_norecipe", /*with_recipe=*/false);
  const std::string ck = f.checkpoint.string();
  const auto missing = e2e::run_forge("sample '" + ck + "' --prompt 'the'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("names no data.tokenizer; pass --tokenizer PATH"), std::string::npos) << missing.output;
  const Fixture moved = make_fixture("sample_moved");
  std::filesystem::remove_all(moved.tokenizer_dir);
  const auto gone = e2e::run_forge("sample '" + moved.checkpoint.string() + "' --prompt 'the'");
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.output.find("(data.tokenizer) does not exist here; pass --tokenizer PATH"), std::string::npos)
      << gone.output;
  const auto r = e2e::run_forge("sample '" + ck + "' --prompt 'the' --max-new-tokens 5 --tokenizer '" +
                                f.tokenizer_dir.string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("the", 0), 0u) << r.output;
}

TEST(SampleCommand, BadInputIsAClearError) {
  const Fixture f = make_fixture("sample_errors");
  const std::string ck = "'" + f.checkpoint.string() + "'";
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"'" + (f.dir / "nope.h5").string() + "' --prompt x", "nope.h5"},
      {ck + " --prompt x --top-p 0", "--top-p must be in (0, 1]"},
      {ck + " --prompt x --top-p 1.5", "--top-p must be in (0, 1]"},
      {ck + " --prompt x --temperature -0.5", "--temperature must be >= 0"},
      {ck + " --prompt x --temperature hot", "--temperature expects a finite number, got 'hot'"},
      {ck + " --prompt x --top-k 2.5", "--top-k expects an integer, got '2.5'"},
      {ck + " --prompt x --top-k -1", "--top-k must be >= 0"},
      {ck + " --prompt x --max-new-tokens -3", "--max-new-tokens must be >= 0"},
      {ck + " --prompt x --seed -1", "--seed must be >= 0"},
      {ck + " --prompt x --max-new-tokens 30", "exceeds the model's block_size of 24"},
      {ck + " --prompt zqxzqxzqxzqxzqxzqxzqx --max-new-tokens 8",  // unseen bytes: one token each
       "exceeds the model's block_size of 24"},
      {ck + " --prompt x --bogus 1", "unknown flag '--bogus'"},
      {ck, "missing CKPT or --prompt"},
      {ck + " --prompt", "--prompt needs a value"},
  };
  for (const Case& c : cases) {
    const auto r = e2e::run_forge("sample " + c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  }
}

TEST(EvalCommand, PrintsLossPerplexityAndTokens) {
  const Fixture f = make_fixture("eval");
  const data::Tokenizer made_with = data::load_tokenizer(f.tokenizer_dir);
  e2e::write_tiny_shards(f.dir / "shards", 300, 500, &made_with);
  const std::string shards = (f.dir / "shards" / "val_000000.h5").string();
  auto model = recipes::model_from_checkpoint(f.contents, "fixture");

  const auto r = e2e::run_forge("eval '" + f.checkpoint.string() + "' --data '" + shards + "' --seq-len 16 --batch-size 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(r.output, m, std::regex(R"(loss=([0-9.]+) ppl=([0-9.]+) tokens=([0-9]+)\n)")))
      << r.output;
  const recipes::EvalResult want = recipes::evaluate_shards(*model, shards, 16, 7);
  EXPECT_NEAR(std::stod(m[1]), want.loss, 2e-6);
  EXPECT_NEAR(std::stod(m[2]), want.perplexity, 1e-5 * want.perplexity);
  EXPECT_EQ(std::stoll(m[3]), 499 / 16 * 16);

  // Default seq_len: the recipe's data.seq_len (10).
  const auto d = e2e::run_forge("eval '" + f.checkpoint.string() + "' --data '" + shards + "'");
  ASSERT_EQ(d.exit_code, 0) << d.output;
  EXPECT_NE(d.output.find("tokens=" + std::to_string(499 / 10 * 10) + "\n"), std::string::npos) << d.output;
}

TEST(EvalCommand, BadInputIsAClearError) {
  const Fixture f = make_fixture("eval_errors");
  const data::Tokenizer made_with = data::load_tokenizer(f.tokenizer_dir);
  e2e::write_tiny_shards(f.dir / "shards", 300, 200, &made_with);
  e2e::write_tiny_shards(f.dir / "other", 300, 200);  // stamped with another tokenizer
  const std::string ck = "'" + f.checkpoint.string() + "'";
  const std::string data = " --data '" + (f.dir / "shards" / "val_000000.h5").string() + "'";
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"'" + (f.dir / "nope.h5").string() + "'" + data, "nope.h5"},
      {ck, "missing CKPT or --data"},
      {ck + " --data '" + (f.dir / "other" / "val_000000.h5").string() + "'",
       "were made with a different tokenizer than '" + f.tokenizer_dir.string() + "'"},
      {ck + " --data '" + (f.dir / "none_*.h5").string() + "'", "none_"},
      {ck + data + " --seq-len 25", "--seq-len 25 exceeds the model's block_size of 24"},
      {ck + data + " --seq-len 0", "--seq-len must be >= 1"},
      {ck + data + " --batch-size x", "--batch-size expects an integer, got 'x'"},
  };
  for (const Case& c : cases) {
    const auto r = e2e::run_forge("eval " + c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  }
}

// forge train writes checkpoints; sample and eval read them. The eval loss of the
// last checkpoint equals the trainer's validation loss at that step when the
// validation batches cover every window (250 windows, batch 2, 125 eval steps).
TEST(TrainThenSampleAndEval, OnTheRunsCheckpoints) {
  const Fixture f = make_fixture("train_then_sample");
  const data::Tokenizer made_with = data::load_tokenizer(f.tokenizer_dir);
  e2e::write_tiny_shards(f.dir / "shards", 300, 4001, &made_with);
  const std::string recipe = (f.dir / "tiny.yaml").string();
  std::ofstream(recipe) << "model: {preset: gpt2-test, vocab_size: 304}\n"
                        << "data: {train: '" << (f.dir / "shards" / "train_*.h5").string() << "', val: '"
                        << (f.dir / "shards" / "val_*.h5").string() << "', batch_size: 2, seq_len: 16, tokenizer: '"
                        << f.tokenizer_dir.string() << "'}\n"
                        << "optim: {lr: 0.01}\n"
                        << "train: {max_steps: 6, log_interval: 3, eval_interval: 6, eval_steps: 200}\n"
                        << "checkpoint: {interval: 3, keep_last: 0}\n"
                        << "run: {dir: '" << (f.dir / "run").string() << "'}\n";
  const auto train = e2e::run_forge("train '" + recipe + "'");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const std::string ck = (f.dir / "run" / "checkpoints" / "step_6.h5").string();
  ASSERT_TRUE(std::filesystem::exists(ck)) << train.output;

  const auto s = e2e::run_forge("sample '" + ck + "' --prompt 'the cat' --temperature 0 --max-new-tokens 8");
  ASSERT_EQ(s.exit_code, 0) << s.output;
  nn::GenerateOptions greedy;
  greedy.temperature = 0.0;
  greedy.max_new_tokens = 8;
  EXPECT_EQ(s.output, expected_sample(recipes::load_checkpoint(ck, false), f.tokenizer_dir, "the cat", greedy));

  std::smatch val;
  ASSERT_TRUE(std::regex_search(train.output, val, std::regex(R"(step +6 \| val loss ([0-9.]+))"))) << train.output;
  const auto e = e2e::run_forge("eval '" + ck + "' --data '" + (f.dir / "shards" / "val_*.h5").string() + "'");
  ASSERT_EQ(e.exit_code, 0) << e.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(e.output, m, std::regex(R"(loss=([0-9.]+) ppl=([0-9.]+) tokens=4000\n)"))) << e.output;
  EXPECT_NEAR(std::stod(m[1]), std::stod(val[1]), 6e-5);
  EXPECT_LT(std::stod(m[1]), std::log(300.0));  // it learned something from the counting pattern
}

TEST(SampleEvalHelp, UsageTexts) {
  const auto s = e2e::run_forge("help sample");
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_NE(s.output.find("usage: forge sample CKPT --prompt TEXT"), std::string::npos) << s.output;
  const auto e = e2e::run_forge("help eval");
  EXPECT_EQ(e.exit_code, 0);
  EXPECT_NE(e.output.find("usage: forge eval CKPT --data SHARDS [--seq-len T] [--batch-size B]"), std::string::npos)
      << e.output;
}

}  // namespace
}  // namespace forge
