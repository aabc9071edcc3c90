// A run directory under hostile conditions, through the real `forge` binary:
// two trainings on one run.dir (the lock, and a lock left by a killed
// process), recipe.yaml under a file-size limit, checkpoints without
// `latest`, and a model too large for the machine.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "e2e_util.h"
#include "run_compare.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;

class RunDirSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir("run_dir_safety");
    write_tiny_shards(dir_ / "data", 64, 6000);
    recipe_ = (dir_ / "recipe.yaml").string();
    write_tiny_checkpointing_recipe(recipe_, dir_ / "data");
    run_ = dir_ / "run";
  }

  CommandResult train(const std::string& extra, const std::string& env = "") {
    return train_in_run_dir(recipe_, run_, extra, env);
  }

  fs::path dir_, run_;
  std::string recipe_;
};

TEST_F(RunDirSafety, SecondTrainOnTheSameRunDirIsRefusedAndADeadHoldersLockIsNot) {
  // A long run in the background (no checkpoint until its end), exec'd so $! is forge's pid.
  const CommandResult started = run_shell("OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 exec '" + forge_binary() + "' train '" +
                                          recipe_ + "' run.dir='" + run_.string() +
                                          "' train.max_steps=1000000 checkpoint.interval=0 > '" +
                                          (dir_ / "first.log").string() + "' 2>&1 & echo $!");
  const pid_t first = static_cast<pid_t>(std::stoll(started.output));
  // Wait until it trains (it holds the lock from before its first step).
  for (int i = 0; i < 600 && read_text(dir_ / "first.log").find("step      1/") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_NE(read_text(dir_ / "first.log").find("step      1/"), std::string::npos) << read_text(dir_ / "first.log");

  const CommandResult second = train("resume=auto");
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("run directory '" + run_.string() + "' is in use by another forge train (pid " +
                               std::to_string(first) + ")"),
            std::string::npos)
      << second.output;
  EXPECT_NE(read_text(run_ / "recipe.yaml").find("1000000"), std::string::npos);  // the first run's, untouched

  // kill -9 takes the lock with the process: the next run starts.
  ::kill(first, SIGKILL);
  for (int i = 0; i < 600 && ::kill(first, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const CommandResult third = train("resume=auto train.max_steps=3");
  EXPECT_EQ(third.exit_code, 0) << third.output;
}

TEST_F(RunDirSafety, RecipeYamlUnderAFileSizeLimitIsAnError) {
  // bash's ulimit -f counts KiB; the resolved recipe is larger than 1 KiB.
  const CommandResult r = run_shell("bash -c \"ulimit -f 1; OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 exec '" +
                                    forge_binary() + "' train '" + recipe_ + "' run.dir='" + run_.string() + "'\"");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot write '" + (run_ / "recipe.yaml").string() + "': File too large"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(run_ / "recipe.yaml"));
  EXPECT_FALSE(fs::exists(run_ / "recipe.yaml.tmp"));
}

// Killed between a checkpoint's rename and `latest`'s: step_8.h5 exists but
// `latest` is gone. resume=auto continues from the newest checkpoint that
// verifies (step_8.h5, or step_4.h5 once step_8.h5 is truncated), to the same
// bits as an uninterrupted run; with none verifying it refuses, and so does
// resume: none (it would restart at step 0 and rewrite metrics.jsonl).
TEST_F(RunDirSafety, CheckpointsWithoutLatestResumeFromTheNewestThatVerifies) {
  const fs::path ref = dir_ / "ref";
  CommandResult r = run_shell("OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 '" + forge_binary() + "' train '" + recipe_ +
                              "' run.dir='" + ref.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = train("", "FORGE_TEST_SIGNAL_AT=11:KILL");
  ASSERT_EQ(r.exit_code, 128 + 9) << r.output;
  const fs::path ckpts = run_ / "checkpoints";
  fs::remove(ckpts / "latest");
  const std::string metrics = read_text(run_ / "metrics.jsonl");

  r = train("");  // resume: none
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("already holds checkpoints of an earlier run (latest: '" + (ckpts / "step_8.h5").string()),
            std::string::npos)
      << r.output;
  EXPECT_EQ(read_text(run_ / "metrics.jsonl"), metrics);

  fs::resize_file(ckpts / "step_8.h5", fs::file_size(ckpts / "step_8.h5") / 2);
  fs::copy_file(ckpts / "step_4.h5", dir_ / "step_4.h5");
  fs::resize_file(ckpts / "step_4.h5", 100);
  r = train("resume=auto");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("has no `latest` and none of its checkpoints verifies"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("skipped '" + (ckpts / "step_8.h5").string() + "'"), std::string::npos) << r.output;
  EXPECT_EQ(read_text(run_ / "metrics.jsonl"), metrics);

  fs::copy_file(dir_ / "step_4.h5", ckpts / "step_4.h5", fs::copy_options::overwrite_existing);
  r = train("resume=auto");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("has no `latest` (interrupted while saving?); continuing from the newest checkpoint that "
                          "verifies, '" + (ckpts / "step_4.h5").string() + "'"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(deterministic_metrics(run_), deterministic_metrics(ref));
  expect_same_checkpoint(ref / "checkpoints" / "step_12.h5", ckpts / "step_12.h5");
}

TEST_F(RunDirSafety, AModelThatCannotFitIsAnErrorBeforeAllocating) {
  const CommandResult r = train("model.n_layer=1000000");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("the model does not fit in memory: training it needs about"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("this machine has"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MemTotal"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace forge::e2e
