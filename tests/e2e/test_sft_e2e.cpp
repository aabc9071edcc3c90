// End-to-end SFT through the `forge` binary, a small version of the README
// walkthrough: synthetic instruction data (scripts/make_sft_data.py) -> a tiny
// base model pretrained on the raw text -> `forge prepare --sft` -> SFT from the
// base checkpoint (init_from, its vocabulary extended with the chat tokens,
// packing) -> held-out exact match before and after with `forge sft-eval`, and
// `forge sample --chat`; the fine-tuning again in bf16. Plus the bad-input
// contract of prepare --sft.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "tests/e2e/e2e_util.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;

double exact_match_of(const CommandResult& r) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(r.output, m, std::regex("exact_match=([0-9.]+) correct=")) && r.exit_code == 0)
      << r.output;
  return m.empty() ? -1.0 : std::stod(m[1].str());
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

TEST(SftEndToEnd, HeldOutExactMatchRisesAfterFineTuning) {
  const fs::path dir = fresh_dir("sft");
  const std::string d = dir.string();
  CommandResult r = run_shell("python3 '" + std::string(FORGE_SOURCE_DIR) + "/scripts/make_sft_data.py' --out '" + d +
                              "' --train 1500 --heldout 30 --tasks sort --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The base model's text: the same examples as plain text, so it has seen the words.
  fs::copy_file(dir / "train.jsonl", dir / "train.txt");
  r = run_forge("tokenizer train --vocab-size 600 --out '" + d + "/tok' '" + d + "/train.txt'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_forge("prepare --tokenizer '" + d + "/tok' --out '" + d + "/text' '" + d + "/train.txt'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_forge("prepare --sft --tokenizer '" + d + "/tok' --out '" + d + "/sft' --val '" + d + "/heldout.jsonl' '" + d +
                "/train.jsonl'");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const std::string model = "model: {family: gpt2, n_layer: 2, n_head: 4, n_embd: 64, vocab_size: VOCAB, block_size: 48}\n";
  write(dir / "base.yaml", "run: {dir: " + d + "/base}\n" + std::regex_replace(model, std::regex("VOCAB"), "600") +
                               "data: {train: " + d + "/text/train_*.h5, tokenizer: " + d +
                               "/tok, batch_size: 8, seq_len: 48}\n"
                               "optim: {lr: 3.0e-3}\ntrain: {max_steps: 20, log_interval: 20, eval_interval: 0}\n"
                               "checkpoint: {interval: 0}\n");
  r = run_forge("train '" + d + "/base.yaml'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  write(dir / "sft.yaml", "run: {dir: " + d + "/tuned}\n" + std::regex_replace(model, std::regex("VOCAB"), "602") +
                              "init_from: " + d + "/base/checkpoints/step_20.h5\n"
                              "data: {train: " + d + "/sft/train_*.h5, val: " + d + "/sft/val_*.h5, tokenizer: " + d +
                              "/sft/tokenizer, batch_size: 16, seq_len: 48}\n"
                              "optim: {lr: 3.0e-3, weight_decay: 0.0}\nschedule: {warmup_steps: 10}\n"
                              "train: {max_steps: 250, log_interval: 125, eval_interval: 250, eval_steps: 2}\n"
                              "checkpoint: {interval: 0}\nsft: {enabled: true, packing: true}\n");
  r = run_forge("train '" + d + "/sft.yaml'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("vocabulary extended by 2 rows"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("val loss"), std::string::npos) << r.output;

  const std::string eval = " --data '" + d + "/heldout.jsonl' --max-new-tokens 12";
  const double before = exact_match_of(
      run_forge("sft-eval '" + d + "/base/checkpoints/step_20.h5' --tokenizer '" + d + "/sft/tokenizer' --extend-vocab" + eval));
  const double after = exact_match_of(run_forge("sft-eval '" + d + "/tuned/checkpoints/step_250.h5'" + eval));
  EXPECT_LE(before, 0.05);
  EXPECT_GE(after, 0.4) << "before " << before;

  // The same fine-tuning in bf16 (packed rows, masked loss, init_from) learns the task as well,
  // on the fp32 run's validation loss curve (within 5%).
  const CommandResult fp32_run = r;
  r = run_forge("train '" + d + "/sft.yaml' precision=bf16 run.dir='" + d + "/tuned_bf16'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto val_loss = [](const CommandResult& run) {
    std::smatch m;
    return std::regex_search(run.output, m, std::regex("val loss ([0-9.]+)")) ? std::stod(m[1].str()) : -1.0;
  };
  EXPECT_NEAR(val_loss(r), val_loss(fp32_run), 0.05 * val_loss(fp32_run)) << r.output;
  EXPECT_GE(exact_match_of(run_forge("sft-eval '" + d + "/tuned_bf16/checkpoints/step_250.h5'" + eval)), 0.4);

  r = run_forge("sample '" + d + "/tuned/checkpoints/step_250.h5' --chat 'Sort the numbers: 3 1 2' --temperature 0");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("Sort the numbers: 3 1 2\n", 0), 0u) << r.output;
  EXPECT_EQ(r.output.find("<|im_end|>"), std::string::npos) << r.output;  // generation stops at the template's stop
}

TEST(SftEndToEnd, BadInputNamesFileLineFieldAndWritesNothing) {
  const fs::path dir = fresh_dir("sft_bad");
  const std::string d = dir.string();
  write(dir / "text.txt", "the quick brown fox jumps over the lazy dog\n");
  ASSERT_EQ(run_forge("tokenizer train --vocab-size 280 --out '" + d + "/tok' '" + d + "/text.txt'").exit_code, 0);
  write(dir / "data.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n"
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"robot\", \"content\": \"y\"}]}\n"
                            "{\"prompt\": \"c\"}\n");
  const std::string args = "--tokenizer '" + d + "/tok' --out '" + d + "/out' '" + d + "/data.jsonl'";
  CommandResult r = run_forge("prepare --sft " + args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(d + "/data.jsonl:2: field \"messages[1].role\": unknown role 'robot'"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "out"));

  r = run_forge("prepare --sft --skip-bad " + args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("skipped 2 malformed lines"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("data.jsonl:3: field \"response\": missing"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "train_000000.h5"));

  r = run_forge("prepare --skip-bad " + args);  // SFT flags without --sft
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("need --sft"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace forge::e2e
