// `mpirun -np 4 forge train ... parallel.tp=2 parallel.pp=2` end to end: the
// binary trains under tensor and pipeline parallelism, rank 0 writes one run
// directory whose checkpoint holds whole tensors (forge inspect sees the full
// shapes), and a plain single-process `forge train` resumes that checkpoint.
#include <gtest/gtest.h>

#include <fstream>

#include "distributed/world.h"
#include "tests/e2e/e2e_util.h"

namespace forge::e2e {
namespace {

TEST(MpirunModelParallel, Tp2Pp2RunResumesOnOneProcess) {
  if (!distributed::mpi_available() || run_shell("command -v mpirun").exit_code != 0)
    GTEST_SKIP() << "no mpirun or forge built without MPI";
  const auto dir = fresh_dir("mpirun_tp_pp");
  write_tiny_shards(dir / "shards", 64);
  const std::string recipe = (dir / "tiny.yaml").string();
  std::ofstream(recipe) << "model: {preset: gpt2-test}\n"
                        << "data: {train: '" << (dir / "shards" / "train_*.h5").string()
                        << "', batch_size: 2, seq_len: 16, grad_accum: 2}\n"
                        << "train: {max_steps: 4, log_interval: 1, eval_interval: 0}\n"
                        << "run: {dir: '" << (dir / "run").string() << "'}\n";
  const auto r = run_shell("OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 OMPI_ALLOW_RUN_AS_ROOT=1 "
                           "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 mpirun --oversubscribe -np 4 '" +
                           forge_binary() + "' train " + recipe + " parallel.tp=2 parallel.pp=2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("layout dp1 x tp2 x pp2"), std::string::npos) << r.output;
  const auto inspect = run_forge("inspect " + (dir / "run" / "checkpoints" / "step_4.h5").string());
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  // Whole tensors (tp pieces joined, both stages' layers), each on its inspect line with its full shape.
  auto shape_of = [&](const std::string& name) {
    const size_t at = inspect.output.find("/model/" + name + " ");
    if (at == std::string::npos) return std::string("missing");
    const size_t open = inspect.output.find('(', at), close = inspect.output.find(')', at);
    return inspect.output.substr(open, close - open + 1);
  };
  EXPECT_EQ(shape_of("transformer.wte.weight"), "(64, 32)") << inspect.output;
  EXPECT_EQ(shape_of("transformer.h.0.attn.c_attn.weight"), "(96, 32)") << inspect.output;
  EXPECT_EQ(shape_of("transformer.h.1.mlp.c_proj.weight"), "(32, 128)") << inspect.output;
  EXPECT_EQ(shape_of("transformer.ln_f.bias"), "(32)") << inspect.output;
  // The run printed the whole model's parameter count, not one rank's share.
  const size_t count_at = inspect.output.find("parameters: ");
  ASSERT_NE(count_at, std::string::npos) << inspect.output;
  const std::string count = inspect.output.substr(count_at + 12, inspect.output.find('\n', count_at) - count_at - 12);
  EXPECT_NE(r.output.find("gpt2, " + count + " parameters"), std::string::npos) << count << "\n" << r.output;
  const auto resumed = run_forge("train " + recipe + " train.max_steps=6 resume=auto");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("continuing from"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("step      6/6"), std::string::npos) << resumed.output;
}

}  // namespace
}  // namespace forge::e2e
