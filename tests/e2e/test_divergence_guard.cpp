// The divergence guard through the real `forge` binary: FORGE_TEST_NAN_AT
// (train/divergence_guard.h) makes chosen steps' gradients NaN while their loss
// stays finite. A skipped step leaves weights and optimizer state bitwise
// unchanged and is counted in metrics.jsonl; max_bad_steps in a row roll back
// to the last checkpoint past the windows trained since, and a run killed
// before or after that rollback resumes to the same bits; rolling back to the
// same checkpoint twice stops with an error; abort keeps the old behaviour.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "distributed/world.h"
#include "e2e_util.h"
#include "run_compare.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;

// A 12-step GPT-2 with dropout and gradient accumulation; checkpoints every 4
// steps (all kept), a log line every step.
std::string setup(const fs::path& dir) {
  write_tiny_shards(dir / "data", 64, 6000);
  const fs::path path = dir / "recipe.yaml";
  std::ofstream(path) << "seed: 5\n"
                         "model:\n  family: gpt2\n  n_layer: 2\n  n_head: 2\n  n_embd: 32\n"
                         "  vocab_size: 64\n  block_size: 16\n  dropout: 0.1\n"
                         "data:\n  train: " << (dir / "data" / "train_*.h5").string() << "\n"
                         "  val: " << (dir / "data" / "val_*.h5").string() << "\n"
                         "  batch_size: 4\n  seq_len: 16\n  grad_accum: 2\n"
                         "train:\n  max_steps: 12\n  log_interval: 1\n  eval_interval: 4\n  eval_steps: 2\n"
                         "  max_bad_steps: 2\n"
                         "checkpoint:\n  interval: 4\n  keep_last: 0\n";
  return path.string();
}

CommandResult train(const std::string& recipe, const fs::path& run_dir, const std::string& extra,
                    const std::string& env) {
  return run_shell(env + " OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 '" + forge_binary() + "' train '" + recipe +
                   "' run.dir='" + run_dir.string() + "' " + extra);
}

// The metrics.jsonl line of training step `step`.
std::string train_line(const fs::path& run_dir, int64_t step) {
  for (const std::string& line : deterministic_metrics(run_dir))
    if (line.find("\"step\": " + std::to_string(step) + ",") == 0 && line.find("\"loss\"") != std::string::npos)
      return line;
  return "";
}

// The loss of training step `step` in metrics.jsonl (NaN when absent).
double loss_at(const fs::path& run_dir, int64_t step) {
  const std::string line = train_line(run_dir, step);
  const size_t at = line.find("\"loss\": ");
  return at == std::string::npos ? std::nan("") : std::stod(line.substr(at + 8));
}

TEST(DivergenceGuardRun, SkippedStepLeavesWeightsAndOptimizerBitwise) {
  const fs::path dir = fresh_dir("guard_skip");
  const std::string recipe = setup(dir);
  // Step 5's gradients are NaN (its loss is finite): checkpoints after steps 4
  // and 5 (the run's last) must hold the same bits.
  const CommandResult r = train(recipe, dir / "run", "train.max_steps=5 checkpoint.interval=1", "FORGE_TEST_NAN_AT=5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("step      5 | skipped: gradient norm is nan"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| skipped 1 |"), std::string::npos) << r.output;
  const fs::path ckpts = dir / "run" / "checkpoints";
  const recipes::CheckpointContents before = recipes::load_checkpoint((ckpts / "step_4.h5").string());
  const recipes::CheckpointContents after = recipes::load_checkpoint((ckpts / "step_5.h5").string());
  expect_same_checkpoint_weights(before, after);
  EXPECT_EQ(before.optimizer_step_count, after.optimizer_step_count);
  const std::string line = train_line(dir / "run", 5);
  EXPECT_NE(line.find("\"skipped\": 1"), std::string::npos) << line;
  EXPECT_EQ(line.find("\"loss\": null"), std::string::npos) << line;  // the loss was finite: only the gradients were not
  EXPECT_NE(train_line(dir / "run", 4).find("\"skipped\": 0"), std::string::npos);
}

TEST(DivergenceGuardRun, AbortStopsAtTheFirstBadStepWithTheHint) {
  const fs::path dir = fresh_dir("guard_abort");
  const std::string recipe = setup(dir);
  CommandResult r = train(recipe, dir / "run", "train.on_bad_step=abort checkpoint.interval=1", "FORGE_TEST_NAN_AT=3");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("training diverged at step 3: gradient norm is nan"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("grad_clip"), std::string::npos) << r.output;  // on already (1.0)
  EXPECT_EQ(read_text(dir / "run" / "checkpoints" / "latest"), "step_2.h5\n");
  EXPECT_FALSE(fs::exists(dir / "run" / "checkpoints" / "step_3.h5"));
  r = train(recipe, dir / "run2", "train.on_bad_step=abort optim.grad_clip=0", "FORGE_TEST_NAN_AT=3");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("enable optim.grad_clip"), std::string::npos) << r.output;
}

// Steps 6 and 7 bad (max_bad_steps 2): back to step_4.h5, and steps 5-12 train
// on windows 8-15. A run killed before the rollback (step 6) or after it (step
// 10, past step_8.h5 which records the moved loader) resumes to the same bits.
TEST(DivergenceGuardRun, RollbackSkipsTheWindowsAndResumesExactly) {
  const fs::path dir = fresh_dir("guard_rollback");
  const std::string recipe = setup(dir);
  const std::string nan = "FORGE_TEST_NAN_AT=6-7";
  CommandResult r = train(recipe, dir / "ref", "", nan);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("rollback: 2 bad steps in a row up to step 7; back to '" + (dir / "ref").string() +
                          "/checkpoints/step_4.h5' (step 4), skipping the data windows 5-7 trained since"),
            std::string::npos)
      << r.output;
  const std::vector<std::string> expected = deterministic_metrics(dir / "ref");
  ASSERT_EQ(expected.size(), 15u) << r.output;  // steps 1-12 once each (5-7 of the first pass dropped) + 3 val lines
  EXPECT_NE(train_line(dir / "ref", 12).find("\"skipped\": 2"), std::string::npos);
  const recipes::CheckpointContents last = recipes::load_checkpoint((dir / "ref" / "checkpoints" / "step_12.h5").string());
  EXPECT_EQ(last.state.loader_step, 15);
  EXPECT_EQ(last.state.skipped_steps, 2);
  EXPECT_EQ(last.optimizer_step_count, 12);

  for (const int64_t kill_at : {6, 10}) {
    const fs::path run = dir / ("killed_" + std::to_string(kill_at));
    r = train(recipe, run, "", nan + " FORGE_TEST_SIGNAL_AT=" + std::to_string(kill_at) + ":KILL");
    ASSERT_EQ(r.exit_code, 128 + 9) << r.output;
    r = train(recipe, run, "resume=auto", nan);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(deterministic_metrics(run), expected) << "killed in step " << kill_at;
    expect_same_checkpoint(dir / "ref" / "checkpoints" / "step_12.h5", run / "checkpoints" / "step_12.h5");
  }
}

TEST(DivergenceGuardRun, SecondRollbackToTheSameCheckpointIsAnError) {
  const fs::path dir = fresh_dir("guard_twice");
  const std::string recipe = setup(dir);
  const CommandResult r = train(recipe, dir / "run", "", "FORGE_TEST_NAN_AT=5-100");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("rollback: 2 bad steps in a row up to step 6"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("training diverged: 2 bad steps in a row up to step 6 again after rolling back to"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(read_text(dir / "run" / "checkpoints" / "latest"), "step_4.h5\n");
}

// Under mpirun the verdicts are the same on every rank: dp2, tp2 and pp2 each
// skip steps 6 and 7, roll back to step_4.h5 together and end on the
// single-process run's losses (the layouts' sums differ in order: 1e-5).
TEST(DivergenceGuardRun, RollbackUnderDataTensorAndPipelineParallelism) {
  if (!distributed::mpi_available() || run_shell("command -v mpirun").exit_code != 0)
    GTEST_SKIP() << "no mpirun or forge built without MPI";
  const fs::path dir = fresh_dir("guard_mpi");
  const std::string recipe = setup(dir);
  const std::string nan = "FORGE_TEST_NAN_AT=6-7";
  CommandResult r = train(recipe, dir / "one", "model.dropout=0", nan);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string layout : {"parallel.dp=2", "parallel.tp=2", "parallel.pp=2"}) {
    SCOPED_TRACE(layout);
    const fs::path run = dir / layout.substr(9);
    r = run_shell(nan + " OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                  "timeout 300 mpirun --oversubscribe -np 2 '" + forge_binary() + "' train '" + recipe + "' run.dir='" +
                  run.string() + "' model.dropout=0 data.batch_size=" + (layout == "parallel.dp=2" ? "2 " : "4 ") +
                  layout);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("rollback: 2 bad steps in a row up to step 7"), std::string::npos) << r.output;
    EXPECT_NE(train_line(run, 12).find("\"skipped\": 2"), std::string::npos) << train_line(run, 12);
    for (const int64_t step : {4, 5, 12})
      EXPECT_NEAR(loss_at(run, step), loss_at(dir / "one", step), 1e-5 * loss_at(dir / "one", step)) << "step " << step;
  }
}

}  // namespace
}  // namespace forge::e2e
