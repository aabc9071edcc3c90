// Data-parallel training equals single-process training: under mpirun with N
// ranks, 20 steps of a test-size GPT-2 and Llama with parallel.dp=N (plain
// bucketed all-reduce, and ZeRO-1) give the per-step losses and final weights
// of a one-process run over the same global batch (N x the per-rank batch).
// Every rank also runs that one-process reference itself, in-process.
#include <gtest/gtest.h>

#include "distributed/world.h"
#include "tests/distributed/dist_test_util.h"
#include "tests/e2e/e2e_util.h"

namespace forge {
namespace {

struct Case {
  std::string preset;
  int zero;
  int grad_accum;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.preset << " zero=" << c.zero << " grad_accum=" << c.grad_accum;
}

class MpiDataParallel : public ::testing::TestWithParam<Case> {};

TEST_P(MpiDataParallel, MatchesSingleProcessRun) {
  const Case c = GetParam();
  auto world = distributed::init_world();
  const int n = world->size();
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string tag = std::string(info->name());
  for (char& ch : tag) if (ch == '/') ch = '_';
  const auto dir = std::filesystem::temp_directory_path() / ("forge_mpi_" + tag + "_np" + std::to_string(n));
  if (world->rank() == 0) {
    std::filesystem::remove_all(dir);
    e2e::write_tiny_shards(dir / "shards", 64);
  }
  world->barrier();
  const int per_rank_batch = 2;
  const std::vector<std::string> common = {"data.grad_accum=" + std::to_string(c.grad_accum)};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), common.begin(), common.end());
    return extra;
  };
  recipes::Trainer single(disttest::tiny_recipe(c.preset, dir / "shards",
                                                dir / ("single_rank" + std::to_string(world->rank())),
                                                per_rank_batch * n, with({})),
                          std::make_shared<distributed::SingleProcessGroup>());
  recipes::Trainer dp(disttest::tiny_recipe(c.preset, dir / "shards", dir / "dp", per_rank_batch,
                                            with({"parallel.dp=" + std::to_string(n),
                                                  "parallel.zero=" + std::to_string(c.zero)})),
                      world);
  const recipes::TrainSummary ref = single.run();
  const recipes::TrainSummary got = dp.run();
  ASSERT_EQ(got.losses.size(), 20u);
  EXPECT_LE(disttest::max_loss_rel_diff(got.losses, ref.losses), 1e-5);
  EXPECT_LE(disttest::max_weight_diff(disttest::weights_of(dp), disttest::weights_of(single)), 1e-5)
      << disttest::worst_weight(disttest::weights_of(dp), disttest::weights_of(single));
  EXPECT_LT(got.losses.back(), got.losses.front());  // it trained
  // Only world rank 0 writes the run directory.
  world->barrier();
  EXPECT_TRUE(std::filesystem::exists(dir / "dp" / "metrics.jsonl"));
}

INSTANTIATE_TEST_SUITE_P(Families, MpiDataParallel,
                         ::testing::Values(Case{"gpt2-test", 0, 1}, Case{"gpt2-test", 1, 1}, Case{"llama-test", 0, 1},
                                           Case{"llama-test", 1, 1}, Case{"gpt2-test", 1, 2},
                                           Case{"llama-test", 0, 2}),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           std::string name = i.param.preset + "_zero" + std::to_string(i.param.zero) + "_accum" +
                                              std::to_string(i.param.grad_accum);
                           for (char& ch : name) if (ch == '-') ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace forge
