// Crash-safety soak: a training run with a checkpoint after every step is
// killed with SIGKILL at random moments (during start-up, a step's compute or
// its checkpoint write), resumed with resume=auto after each kill, and finally
// run to the end. Every logged loss and the final weights and optimizer state must be
// bitwise those of an uninterrupted run, and no temporary file may be left.
//
// FORGE_SOAK_KILLS (default 5) sets the number of kills, FORGE_SOAK_SEED the
// random moments (default: from the clock; printed either way).
// scripts/soak_kill9.sh runs the long version (20 kills).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "e2e_util.h"
#include "run_compare.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

// Starts `forge train` in the background (exec'd, so the pid is forge's own).
pid_t start_train(const std::string& recipe, const fs::path& run_dir, const fs::path& log) {
  const std::string command = "exec env OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 '" + forge_binary() + "' train '" +
                              recipe + "' run.dir='" + run_dir.string() + "' resume=auto >> '" + log.string() +
                              "' 2>&1";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// The highest N of the progress lines `step N/...` after byte `from` of `log`; 0 when none.
int64_t highest_step(const fs::path& log, size_t from) {
  std::ifstream in(log);
  in.seekg(static_cast<std::streamoff>(from));
  int64_t highest = 0;
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("step ") && line.find('/') != std::string::npos)
      highest = std::max<int64_t>(highest, std::atoll(line.c_str() + 5));
  return highest;
}

// Every file under `dir` whose name ends in ".tmp".
std::vector<std::string> temporary_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.path().extension() == ".tmp") out.push_back(entry.path().string());
  return out;
}

TEST(SoakKill9, RandomKillsResumeToTheSameBits) {
  const int64_t kills = env_int("FORGE_SOAK_KILLS", 5);
  const uint64_t seed = static_cast<uint64_t>(
      env_int("FORGE_SOAK_SEED", static_cast<int64_t>(Clock::now().time_since_epoch().count() % 1000000)));
  std::printf("soak: %lld kills, FORGE_SOAK_SEED=%llu\n", static_cast<long long>(kills),
              static_cast<unsigned long long>(seed));
  const fs::path dir = fresh_dir("soak");
  write_tiny_shards(dir / "data", 64, 6000);
  const fs::path recipe = dir / "recipe.yaml";
  std::ofstream(recipe) << "seed: 3\n"
                           "model:\n  family: gpt2\n  n_layer: 2\n  n_head: 2\n  n_embd: 32\n"
                           "  vocab_size: 64\n  block_size: 16\n  dropout: 0.1\n"
                           "data:\n  train: " << (dir / "data" / "train_*.h5").string() << "\n"
                           "  val: " << (dir / "data" / "val_*.h5").string() << "\n"
                           "  batch_size: 4\n  seq_len: 16\n"
                           "schedule:\n  name: cosine\n  warmup_steps: 4\n"
                           "train:\n  max_steps: 40\n  log_interval: 1\n  eval_interval: 10\n  eval_steps: 2\n"
                           "checkpoint:\n  interval: 1\n  keep_last: 2\n";

  // The uninterrupted run, timed: how long start-up takes and how long a step.
  constexpr int64_t kSteps = 40;
  const auto t0 = Clock::now();
  pid_t pid = start_train(recipe.string(), dir / "ref", dir / "ref.log");
  int status = 0;
  double startup_seconds = -1;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (startup_seconds < 0 && highest_step(dir / "ref.log", 0) >= 1)
      startup_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(dir / "ref.log");
  const double run_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double step_seconds = (run_seconds - std::max(startup_seconds, 0.0)) / kSteps;

  // Each kill comes at a random point of the run: once it has logged a random
  // step (0: during start-up), plus a random fraction of a step, so it lands
  // anywhere in the step's compute or its checkpoint write. Ascending targets
  // make the run progress between kills without ever finishing.
  std::mt19937_64 rng(seed);
  std::vector<int64_t> targets;
  std::uniform_int_distribution<int64_t> target(0, kSteps - 4);
  for (int64_t i = 0; i < kills; ++i) targets.push_back(target(rng));
  std::sort(targets.begin(), targets.end());
  std::uniform_real_distribution<double> fraction(0.0, 1.0);
  int64_t killed = 0, in_checkpoint_write = 0;
  const fs::path run = dir / "run", log = dir / "run.log";
  for (const int64_t at : targets) {
    const auto life_start = fs::file_time_type::clock::now();
    const size_t log_start = fs::exists(log) ? fs::file_size(log) : 0;
    pid = start_train(recipe.string(), run, log);
    if (at == 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(fraction(rng) * startup_seconds));
    } else {
      while (highest_step(log, log_start) < at) {
        ASSERT_NE(::waitpid(pid, &status, WNOHANG), pid) << "the run ended before step " << at << read_text(log);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(fraction(rng) * step_seconds));
    }
    ASSERT_NE(::waitpid(pid, &status, WNOHANG), pid) << "the run ended before its kill" << read_text(log);
    ::kill(pid, SIGKILL);
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << read_text(log);
    ++killed;
    if (fs::exists(run / "checkpoints")) {  // a partial checkpoint this life was writing
      for (const std::string& tmp : temporary_files(run / "checkpoints"))
        if (tmp.ends_with(".h5.tmp") && fs::last_write_time(tmp) >= life_start) {
          ++in_checkpoint_write;
          break;
        }
    }
  }
  // The last resume runs to the end.
  pid = start_train(recipe.string(), run, dir / "run.log");
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(dir / "run.log");
  std::printf("soak: %lld kills (%lld inside a checkpoint write), uninterrupted run %.1f s (start-up %.2f s, "
              "%.3f s a step)\n", static_cast<long long>(killed), static_cast<long long>(in_checkpoint_write),
              run_seconds, startup_seconds, step_seconds);

  EXPECT_EQ(deterministic_metrics(run), deterministic_metrics(dir / "ref"));
  EXPECT_EQ(deterministic_metrics(run).size(), static_cast<size_t>(kSteps + 4));  // + 4 validation lines
  expect_same_checkpoint(dir / "ref" / "checkpoints" / "step_40.h5", run / "checkpoints" / "step_40.h5");
  EXPECT_EQ(temporary_files(run), std::vector<std::string>{});
}

}  // namespace
}  // namespace forge::e2e
