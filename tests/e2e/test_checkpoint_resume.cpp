// End-to-end checkpoint tests through the real `forge` binary: exact resume
// after SIGKILL and after SIGTERM (both model families, dropout, gradient
// accumulation, warmup + cosine; in fp32, bf16 and fp16), resume across
// precisions, fp16's skipped step, the second-signal and external-signal
// paths, and init_from. Runs are stopped at known steps with the FORGE_TEST_SIGNAL_AT
// hook (train/stop_signal.h), which sends the real signal to the process.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "e2e_util.h"
#include "run_compare.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;

// A 12-step run of a tiny model: dropout, grad_accum 2, warmup + cosine,
// checkpoints every 4 steps, evaluation every 4.
std::string write_recipe(const fs::path& dir, const std::string& family) {
  const fs::path path = dir / "recipe.yaml";
  std::ofstream(path) << "seed: 5\n"
                         "model:\n  family: " << family << "\n  n_layer: 2\n  n_head: 2\n  n_embd: 32\n"
                         "  vocab_size: 64\n  block_size: 16\n  dropout: 0.1\n"
                         "data:\n  train: " << (dir / "data" / "train_*.h5").string() << "\n"
                         "  val: " << (dir / "data" / "val_*.h5").string() << "\n"
                         "  batch_size: 4\n  seq_len: 16\n  grad_accum: 2\n"
                         "schedule:\n  name: cosine\n  warmup_steps: 3\n"
                         "train:\n  max_steps: 12\n  log_interval: 1\n  eval_interval: 4\n  eval_steps: 2\n"
                         "checkpoint:\n  interval: 4\n  keep_last: 2\n";
  return path.string();
}

// A tiny corpus and recipe in a fresh directory; returns the recipe path.
std::string setup(const fs::path& dir, const std::string& family) {
  write_tiny_shards(dir / "data", 64, 6000);
  return write_recipe(dir, family);
}

CommandResult train(const std::string& recipe, const fs::path& run_dir, const std::string& extra = "",
                    const std::string& env = "") {
  return run_shell(env + " OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 '" + forge_binary() + "' train '" + recipe +
                   "' run.dir='" + run_dir.string() + "' " + extra);
}

// Uninterrupted 12 steps vs (a) SIGKILL in step 7 then resume=auto, (b) SIGTERM
// in step 6 then resume=auto: metrics and final checkpoints bitwise equal.
void exact_resume(const std::string& family, const std::string& precision = "fp32") {
  const fs::path dir = fresh_dir("resume_" + family + "_" + precision);
  const std::string recipe = setup(dir, family);
  // Every run of this test in the given precision.
  auto train = [&](const std::string& r, const fs::path& run_dir, const std::string& extra = "",
                   const std::string& env = "") {
    return e2e::train(r, run_dir, "precision=" + precision + " " + extra, env);
  };
  const fs::path ref = dir / "ref", killed = dir / "killed", termed = dir / "termed";
  CommandResult r = train(recipe, ref);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> expected = deterministic_metrics(ref);
  ASSERT_EQ(expected.size(), 15u);  // 12 train lines + 3 val lines

  // (a) kill -9 in the middle of step 7: step_4.h5 is the newest checkpoint and
  // metrics.jsonl already has steps 5 and 6, which the resumed run replaces.
  r = train(recipe, killed, "", "FORGE_TEST_SIGNAL_AT=7:KILL");
  ASSERT_EQ(r.exit_code, 128 + 9) << r.output;
  EXPECT_EQ(read_text(killed / "checkpoints" / "latest"), "step_4.h5\n");
  EXPECT_GT(deterministic_metrics(killed).size(), 5u);
  r = train(recipe, killed, "resume=auto");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("continuing from"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("dropped 2 lines logged after step 4"), std::string::npos) << r.output;
  EXPECT_EQ(deterministic_metrics(killed), expected);
  expect_same_checkpoint(ref / "checkpoints" / "step_12.h5", killed / "checkpoints" / "step_12.h5");

  // (b) SIGTERM in the middle of step 6: the step finishes, step_6.h5 is saved, exit 0.
  r = train(recipe, termed, "", "FORGE_TEST_SIGNAL_AT=6:TERM");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SIGTERM: stopped after step 6"), std::string::npos) << r.output;
  EXPECT_EQ(read_text(termed / "checkpoints" / "latest"), "step_6.h5\n");
  r = train(recipe, termed, "resume=auto");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(deterministic_metrics(termed), expected);
  expect_same_checkpoint(ref / "checkpoints" / "step_12.h5", termed / "checkpoints" / "step_12.h5");
  // keep_last: 2 pruned the older ones.
  EXPECT_TRUE(fs::exists(termed / "checkpoints" / "step_8.h5"));
  EXPECT_FALSE(fs::exists(termed / "checkpoints" / "step_4.h5"));
  EXPECT_FALSE(fs::exists(termed / "checkpoints" / "step_6.h5"));
}

TEST(CheckpointResume, ExactAfterKillAndTermGpt2) { exact_resume("gpt2"); }
TEST(CheckpointResume, ExactAfterKillAndTermLlama) { exact_resume("llama"); }
TEST(CheckpointResume, ExactAfterKillAndTermGpt2Bf16) { exact_resume("gpt2", "bf16"); }
TEST(CheckpointResume, ExactAfterKillAndTermLlamaBf16) { exact_resume("llama", "bf16"); }
TEST(CheckpointResume, ExactAfterKillAndTermGpt2Fp16) { exact_resume("gpt2", "fp16"); }
TEST(CheckpointResume, ExactAfterKillAndTermLlamaFp16) { exact_resume("llama", "fp16"); }

// Checkpoints are fp32 whatever the precision: a bf16 run's checkpoint resumes
// under fp32 and an fp32 run's under fp16 (its loss scale starting at
// loss_scale.initial), and both continue on the same loss curve (within the
// precisions' difference: 2% here).
TEST(CheckpointResume, AcrossPrecisions) {
  const fs::path dir = fresh_dir("resume_precisions");
  const std::string recipe = setup(dir, "llama");
  CommandResult r = train(recipe, dir / "ref");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> ref = deterministic_metrics(dir / "ref");
  for (const auto& [first, second] : {std::pair<std::string, std::string>{"bf16", "fp32"}, {"fp32", "fp16"}}) {
    SCOPED_TRACE(first + " then " + second);
    const fs::path run = dir / (first + "_" + second);
    r = train(recipe, run, "precision=" + first, "FORGE_TEST_SIGNAL_AT=6:TERM");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const recipes::CheckpointContents saved = recipes::load_checkpoint((run / "checkpoints" / "step_6.h5").string());
    for (const auto& [name, t] : saved.model) EXPECT_EQ(t.dtype(), DType::f32) << name;
    r = train(recipe, run, "precision=" + second + " resume=auto");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("continuing from"), std::string::npos) << r.output;
    const std::string metrics = read_text(run / "metrics.jsonl");
    if (second == "fp16") {
      EXPECT_NE(metrics.find("\"loss_scale\": 65536"), std::string::npos) << metrics;
    }
    const std::vector<std::string> got = deterministic_metrics(run);
    ASSERT_EQ(got.size(), ref.size());
    // The last training line's loss against the fp32 run's.
    auto loss_of = [](const std::string& line) { return std::stod(line.substr(line.find("\"loss\": ") + 8)); };
    const double want = loss_of(ref[ref.size() - 2]), have = loss_of(got[got.size() - 2]);
    EXPECT_NEAR(have, want, 0.02 * want);
  }
}

// fp16: a step whose gradients are not finite (FORGE_TEST_NAN_AT) is skipped:
// the loss scale halves, metrics.jsonl records it, and the checkpoint after it
// holds exactly the weights and optimizer state of the one before.
TEST(CheckpointResume, Fp16SkipsAStepWithNonFiniteGradients) {
  const fs::path dir = fresh_dir("fp16_skip");
  const std::string recipe = setup(dir, "gpt2");
  const fs::path run = dir / "run";
  const CommandResult r =
      train(recipe, run, "precision=fp16 checkpoint.interval=1 checkpoint.keep_last=0", "FORGE_TEST_NAN_AT=5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("step      5 | skipped: gradients overflowed at the current loss scale (0 bad in a row, 1 "
                          "skipped so far) | loss scale now 32768"),
            std::string::npos)
      << r.output;
  const std::string metrics = read_text(run / "metrics.jsonl");
  EXPECT_NE(metrics.find("\"step\": 4,"), std::string::npos);
  std::istringstream lines(metrics);
  std::string line;
  int checked = 0;
  while (std::getline(lines, line)) {
    if (line.find("\"val_loss\"") != std::string::npos) continue;
    const int step = std::stoi(line.substr(line.find("\"step\": ") + 8));
    const bool after = step >= 5;
    EXPECT_NE(line.find(after ? "\"loss_scale\": 32768" : "\"loss_scale\": 65536"), std::string::npos) << line;
    EXPECT_NE(line.find(after ? "\"skipped\": 1" : "\"skipped\": 0"), std::string::npos) << line;
    ++checked;
  }
  EXPECT_EQ(checked, 12);
  const recipes::CheckpointContents before = recipes::load_checkpoint((run / "checkpoints" / "step_4.h5").string());
  const recipes::CheckpointContents skipped = recipes::load_checkpoint((run / "checkpoints" / "step_5.h5").string());
  expect_same_checkpoint_weights(before, skipped);
  EXPECT_EQ(skipped.optimizer_step_count, before.optimizer_step_count);
  EXPECT_TRUE(skipped.state.loss_scaling);
  EXPECT_EQ(skipped.state.loss_scale, 32768.0);
  EXPECT_EQ(skipped.state.skipped_steps, 1);
}

TEST(CheckpointResume, SecondSignalExitsAtOnce) {
  const fs::path dir = fresh_dir("signal2");
  const std::string recipe = setup(dir, "gpt2");
  const CommandResult r = train(recipe, dir / "run", "", "FORGE_TEST_SIGNAL_AT=6:INT,6:INT");
  EXPECT_EQ(r.exit_code, 128 + 2) << r.output;
  EXPECT_EQ(read_text(dir / "run" / "checkpoints" / "latest"), "step_4.h5\n");
  EXPECT_FALSE(fs::exists(dir / "run" / "checkpoints" / "step_6.h5"));
}

// A real `kill -TERM` from outside, at whatever step the run is in.
TEST(CheckpointResume, ExternalSigtermSavesAndExitsZero) {
  const fs::path dir = fresh_dir("sigterm");
  const std::string recipe = setup(dir, "gpt2");
  const fs::path run = dir / "run";
  const std::string cmd = "OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 '" + forge_binary() + "' train '" + recipe + "' run.dir='" +
                          run.string() + "' train.max_steps=1000000 checkpoint.interval=3 > '" + (dir / "log").string() +
                          "' 2>&1 & pid=$!; i=0; while [ ! -f '" + (run / "checkpoints" / "latest").string() +
                          "' ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; kill -TERM $pid; wait $pid; echo exit=$?";
  const CommandResult r = run_shell(cmd);
  const std::string log = read_text(dir / "log");
  EXPECT_NE(r.output.find("exit=0"), std::string::npos) << r.output << log;
  EXPECT_NE(log.find("SIGTERM: stopped after step"), std::string::npos) << log;
  const std::string latest = recipes::latest_checkpoint(run.string());
  ASSERT_FALSE(latest.empty());
  const int64_t step = recipes::load_checkpoint(latest, false).state.step;
  EXPECT_NE(log.find("stopped after step " + std::to_string(step) + " "), std::string::npos) << log;
}

TEST(CheckpointResume, CompletedRunResumesToNothing) {
  const fs::path dir = fresh_dir("complete");
  const std::string recipe = setup(dir, "gpt2");
  ASSERT_EQ(train(recipe, dir / "run", "train.max_steps=4").exit_code, 0);
  const CommandResult r = train(recipe, dir / "run", "train.max_steps=4 resume=auto");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("already complete"), std::string::npos) << r.output;
}

TEST(CheckpointResume, ResumeAutoWithoutCheckpointStartsFresh) {
  const fs::path dir = fresh_dir("autofresh");
  const std::string recipe = setup(dir, "gpt2");
  const CommandResult r = train(recipe, dir / "run", "train.max_steps=2 resume=auto");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no checkpoint in"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("starting at step 0"), std::string::npos) << r.output;
}

// init_from loads weights only: with an lr that is 0 in fp32 (1e-50) the new
// run's weights stay the checkpoint's, and its optimizer starts at step 0 (one
// step taken here).
TEST(CheckpointInitFrom, LoadsWeightsOnly) {
  const fs::path dir = fresh_dir("initfrom");
  const std::string recipe = setup(dir, "llama");
  ASSERT_EQ(train(recipe, dir / "a", "train.max_steps=4").exit_code, 0);
  const fs::path src = dir / "a" / "checkpoints" / "step_4.h5";
  const CommandResult r = train(recipe, dir / "b",
                                "train.max_steps=1 optim.lr=1e-50 init_from.path='" + src.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("init_from: 21 tensors"), std::string::npos) << r.output;
  const recipes::CheckpointContents a = recipes::load_checkpoint(src.string());
  const recipes::CheckpointContents b = recipes::load_checkpoint((dir / "b" / "checkpoints" / "step_1.h5").string());
  EXPECT_EQ(b.optimizer_step_count, 1);
  EXPECT_EQ(b.state.step, 1);
  ASSERT_EQ(a.model.size(), b.model.size());
  for (size_t i = 0; i < a.model.size(); ++i)
    EXPECT_EQ(0, std::memcmp(a.model[i].second.data_ptr(), b.model[i].second.data_ptr(), a.model[i].second.nbytes()))
        << a.model[i].first;
}

TEST(CheckpointInitFrom, MismatchesListEveryNameWithBothShapes) {
  const fs::path dir = fresh_dir("initfrom_bad");
  const std::string recipe = setup(dir, "gpt2");
  ASSERT_EQ(train(recipe, dir / "a", "train.max_steps=1").exit_code, 0);
  const std::string src = (dir / "a" / "checkpoints" / "step_1.h5").string();

  // A wider model: no shape matches; each tensor is listed with both shapes.
  CommandResult r = train(recipe, dir / "b", "train.max_steps=1 model.n_embd=48 init_from.path='" + src + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("transformer.wte.weight: checkpoint (64, 32), model (64, 48)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("transformer.h.1.mlp.c_proj.weight: checkpoint (32, 128), model (48, 192)"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "b" / "checkpoints"));

  // A deeper model: strict lists the missing layer; strict=false loads the rest and says what it skipped.
  r = train(recipe, dir / "c", "train.max_steps=1 model.n_layer=3 init_from.path='" + src + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("transformer.h.2.attn.c_attn.weight: not in the checkpoint (model (96, 32))"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("init_from.strict=false"), std::string::npos) << r.output;
  r = train(recipe, dir / "c", "train.max_steps=1 model.n_layer=3 init_from.strict=false init_from.path='" + src + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("init_from: 28 tensors"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("skipped transformer.h.2.mlp.c_fc.bias: not in the checkpoint (model (128))"), std::string::npos)
      << r.output;

  r = train(recipe, dir / "d", "init_from.path='" + (dir / "recipe.yaml").string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("unknown file type '.yaml'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace forge::e2e
