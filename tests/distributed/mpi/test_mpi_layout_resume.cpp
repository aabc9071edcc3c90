// Layout-independent checkpoints: a run saved under one dp x tp x pp layout
// resumes under another and continues on the loss trajectory of an
// uninterrupted single-process run (1e-5 relative), loader position included.
// With 4 ranks, for GPT-2 (tied embedding across pipeline stages) and Llama,
// one chain of runs over 20 steps (checkpoints every 5):
//   reference  single process, steps 1-20
//   A          dp2 x tp2, steps 1-20
//   B          pp2 (two groups of 2 ranks), resumed from A's step 10
//   C          single process (every rank), resumed from B's step 15
//   D          dp2 x tp2, resumed from the reference's step 10
// The global batch is the same everywhere (per-rank batch x dp). Other world
// sizes skip.
#include <gtest/gtest.h>

#include "distributed/world.h"
#include "tests/distributed/dist_test_util.h"
#include "tests/e2e/e2e_util.h"

namespace forge {
namespace {

class MpiLayoutResume : public ::testing::TestWithParam<std::string> {};

// Losses of steps [from, from + n) of a 20-step run: the reference's tail.
std::vector<double> tail(const std::vector<double>& losses, size_t from) {
  return std::vector<double>(losses.begin() + static_cast<std::ptrdiff_t>(from), losses.end());
}

TEST_P(MpiLayoutResume, ContinuesTheUninterruptedRun) {
  const std::string preset = GetParam();
  auto world = distributed::init_world();
  if (world->size() != 4) GTEST_SKIP() << "needs 4 ranks";
  const int rank = world->rank();
  const auto dir = std::filesystem::temp_directory_path() / ("forge_mpi_layout_resume_" + preset);
  if (rank == 0) {
    std::filesystem::remove_all(dir);
    e2e::write_tiny_shards(dir / "shards", 64);
  }
  world->barrier();
  auto recipe = [&](const std::string& run, int batch, std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"data.grad_accum=2", "checkpoint.interval=5"});
    return disttest::tiny_recipe(preset, dir / "shards", dir / run, batch, extra);
  };
  auto single_group = [] { return std::make_shared<distributed::SingleProcessGroup>(); };
  const std::string me = std::to_string(rank);

  recipes::Trainer reference(recipe("ref" + me, 4, {}), single_group());
  const recipes::TrainSummary ref = reference.run();
  const auto ref_weights = disttest::weights_of(reference);

  recipes::Trainer a(recipe("a", 2, {"parallel.dp=2", "parallel.tp=2"}), world);
  const recipes::TrainSummary got_a = a.run();
  world->barrier();  // rank 0 has written A's checkpoints
  EXPECT_LE(disttest::max_loss_rel_diff(got_a.losses, ref.losses), 1e-5);

  // B: pp2 on two groups of two ranks, from A's step 10 (written under dp2 x tp2).
  auto pair = world->split(rank / 2, rank);
  const std::string b_run = "b" + std::to_string(rank / 2);
  recipes::Trainer b(recipe(b_run, 4, {"parallel.pp=2", "resume=" + (dir / "a/checkpoints/step_10.h5").string()}),
                     pair);
  const recipes::TrainSummary got_b = b.run();
  world->barrier();
  ASSERT_EQ(got_b.losses.size(), 10u);
  EXPECT_LE(disttest::max_loss_rel_diff(got_b.losses, tail(ref.losses, 10)), 1e-5);

  // C: one process, from B's step 15 (written under pp2).
  recipes::Trainer c(recipe("c" + me, 4, {"resume=" + (dir / b_run / "checkpoints/step_15.h5").string()}),
                     single_group());
  const recipes::TrainSummary got_c = c.run();
  ASSERT_EQ(got_c.losses.size(), 5u);
  EXPECT_LE(disttest::max_loss_rel_diff(got_c.losses, tail(ref.losses, 15)), 1e-5);
  EXPECT_LE(disttest::max_weight_diff(disttest::weights_of(c), ref_weights), 1e-5)
      << disttest::worst_weight(disttest::weights_of(c), ref_weights);

  // D: dp2 x tp2, from the single-process reference's step 10.
  world->barrier();
  recipes::Trainer d(recipe("d", 2, {"parallel.dp=2", "parallel.tp=2",
                                     "resume=" + (dir / "ref0/checkpoints/step_10.h5").string()}),
                     world);
  const recipes::TrainSummary got_d = d.run();
  ASSERT_EQ(got_d.losses.size(), 10u);
  EXPECT_LE(disttest::max_loss_rel_diff(got_d.losses, tail(ref.losses, 10)), 1e-5);
  std::vector<std::pair<std::string, std::vector<float>>> whole;
  for (const auto& [name, p] : d.whole_weights()) whole.emplace_back(name, p.to_float_vector());
  if (rank == 0) {
    // GPT-2's attention key bias is left out as in weights_of (its gradient is rounding noise).
    const int64_t C = reference.model().config().n_embd;
    for (auto& [name, v] : whole)
      if (name.size() >= 11 && name.compare(name.size() - 11, 11, "c_attn.bias") == 0)
        v.erase(v.begin() + C, v.begin() + 2 * C);
    EXPECT_LE(disttest::max_weight_diff(whole, ref_weights), 1e-5) << disttest::worst_weight(whole, ref_weights);
  }
  world->barrier();
}

INSTANTIATE_TEST_SUITE_P(LayoutChange, MpiLayoutResume, ::testing::Values("gpt2-test", "llama-test"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string name = i.param;
                           for (char& ch : name) if (ch == '-') ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace forge
