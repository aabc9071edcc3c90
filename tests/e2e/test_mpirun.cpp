// `mpirun -np N forge train ...` end to end: a dp2 run writes one run
// directory from rank 0, a world size that does not match the recipe's layout
// exits 1 on every rank with one clear message, and an error on the ranks
// aborts the whole job instead of leaving ranks waiting.
#include <gtest/gtest.h>

#include <fstream>

#include "distributed/world.h"
#include "tests/e2e/e2e_util.h"

namespace forge::e2e {
namespace {

// mpirun with the flags the test set-up owns: run as root inside containers,
// more ranks than cores.
CommandResult run_mpirun(int np, const std::string& forge_args) {
  return run_shell("OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                   "timeout 120 mpirun --oversubscribe -np " + std::to_string(np) + " '" + forge_binary() + "' " +
                   forge_args);
}

bool have_mpirun() {
  return distributed::mpi_available() && run_shell("command -v mpirun").exit_code == 0;
}

std::string write_recipe(const std::filesystem::path& dir) {
  write_tiny_shards(dir / "shards", 64);
  const std::string path = (dir / "tiny.yaml").string();
  std::ofstream(path) << "model: {preset: gpt2-test}\n"
                      << "data: {train: '" << (dir / "shards" / "train_*.h5").string()
                      << "', batch_size: 2, seq_len: 16}\n"
                      << "train: {max_steps: 5, log_interval: 1, eval_interval: 0}\n"
                      << "run: {dir: '" << (dir / "run").string() << "'}\n";
  return path;
}

TEST(Mpirun, DataParallelRunWritesOneRunDirectory) {
  if (!have_mpirun()) GTEST_SKIP() << "no mpirun or forge built without MPI";
  const auto dir = fresh_dir("mpirun");
  const auto r = run_mpirun(2, "train " + write_recipe(dir) + " parallel.dp=2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("layout dp2 x tp1 x pp1"), std::string::npos) << r.output;
  // One progress line per step (rank 0 only), one metrics line per step.
  size_t lines = 0;
  for (size_t at = 0; (at = r.output.find("step      5/5", at)) != std::string::npos; ++at) ++lines;
  EXPECT_EQ(lines, 1u) << r.output;
  std::ifstream metrics(dir / "run" / "metrics.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(metrics, line)) ++n;
  EXPECT_EQ(n, 5);
}

TEST(Mpirun, WorldSizeMismatchExitsOneWithOneMessage) {
  if (!have_mpirun()) GTEST_SKIP() << "no mpirun or forge built without MPI";
  const auto dir = fresh_dir("mpirun");
  const auto r = run_mpirun(3, "train " + write_recipe(dir) + " parallel.dp=2");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const std::string msg = "world size 3 does not match parallel.dp×tp×pp = 2×1×1 = 2";
  const size_t first = r.output.find(msg);
  ASSERT_NE(first, std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(msg, first + 1), std::string::npos) << "printed more than once:\n" << r.output;
  EXPECT_EQ(r.output.find("MPI_ABORT"), std::string::npos) << r.output;
}

TEST(Mpirun, ErrorOnTheRanksAbortsTheJob) {
  if (!have_mpirun()) GTEST_SKIP() << "no mpirun or forge built without MPI";
  const auto dir = fresh_dir("mpirun");
  const std::string recipe = write_recipe(dir);
  const auto r = run_mpirun(2, "train " + recipe + " data.train=" + (dir / "missing_*.h5").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, 124) << "timed out: a rank hung\n" << r.output;
  EXPECT_NE(r.output.find("error on rank"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("missing_"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace forge::e2e
