// Distributed building blocks in one process: the layout check and rank
// placement, the single-process group, bucket cut of the gradient reducer,
// and ZeRO-1 AdamW against plain AdamW. The multi-rank versions run under
// mpirun in tests/distributed/mpi/.
#include <gtest/gtest.h>

#include "autograd/ops.h"
#include "distributed/grad_reducer.h"
#include "distributed/layout.h"
#include "distributed/world.h"
#include "nn/flat_parameters.h"
#include "optim/zero_adamw.h"
#include "tests/distributed/dist_test_util.h"
#include "tests/e2e/e2e_util.h"

namespace forge {
namespace {

using distributed::Layout;
using distributed::ReduceOp;
using distributed::SingleProcessGroup;

TEST(Layout, MismatchMessagesNameWorldAndFactors) {
  EXPECT_EQ(distributed::layout_mismatch(4, 2, 2, 1), "");
  EXPECT_EQ(distributed::layout_mismatch(8, 0, 2, 2), "");
  const std::string m = distributed::layout_mismatch(3, 2, 1, 1);
  EXPECT_NE(m.find("world size 3 does not match parallel.dp×tp×pp = 2×1×1 = 2"), std::string::npos) << m;
  EXPECT_NE(m.find("mpirun -np 2"), std::string::npos) << m;
  const std::string a = distributed::layout_mismatch(3, 0, 2, 1);
  EXPECT_NE(a.find("world size 3 is not divisible by parallel.tp×pp = 2×1 = 2"), std::string::npos) << a;
}

TEST(Layout, SingleProcessWorld) {
  auto world = std::make_shared<SingleProcessGroup>();
  Layout l = Layout::create(world, 0, 1, 1);
  EXPECT_EQ(l.dp, 1);
  EXPECT_EQ(l.dp_group->size(), 1);
  EXPECT_EQ(l.str(), "dp1 x tp1 x pp1");
  EXPECT_THROW(Layout::create(world, 2, 1, 1), distributed::UniformError);
}

TEST(Layout, RankPlacementIsTpFastestThenDpThenPp) {
  Layout l;
  l.dp = 2;
  l.tp = 2;
  l.pp = 2;
  EXPECT_EQ(l.rank_of(0, 1, 0), 1);
  EXPECT_EQ(l.rank_of(1, 0, 0), 2);
  EXPECT_EQ(l.rank_of(0, 0, 1), 4);
  EXPECT_EQ(l.rank_of(1, 1, 1), 7);
}

TEST(SingleProcessGroup, CollectivesAreIdentitiesAndPeersAreErrors) {
  SingleProcessGroup g;
  Tensor t = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  g.all_reduce(t, ReduceOp::avg)->wait();
  EXPECT_EQ(t.to_float_vector(), (std::vector<float>{1, 2, 3}));
  Tensor out = Tensor::zeros({3});
  g.reduce_scatter(t, out, ReduceOp::sum)->wait();
  EXPECT_EQ(out.to_float_vector(), (std::vector<float>{1, 2, 3}));
  Tensor gathered = Tensor::zeros({3});
  EXPECT_TRUE(g.all_gather(t, gathered)->test());
  EXPECT_EQ(gathered.to_float_vector(), (std::vector<float>{1, 2, 3}));
  EXPECT_THROW(g.send(t, 1, 0), Error);
  EXPECT_THROW(g.broadcast(t, 1), Error);
  Tensor wrong = Tensor::zeros({2});
  EXPECT_THROW(g.all_gather(t, wrong), Error);
  Tensor i64 = Tensor::zeros({3}, DType::i64);
  EXPECT_THROW(g.all_reduce(i64, ReduceOp::sum), Error);
}

TEST(World, PlainProcessIsASingleProcessWorld) {
  if (distributed::launched_by_mpi()) GTEST_SKIP() << "running under an MPI launcher";
  auto world = distributed::init_world();
  EXPECT_EQ(world->backend(), "single");
  EXPECT_EQ(distributed::world_size(), 1);
}

// A module with a few parameters of awkward sizes for the flat buffer.
class ThreeParams : public nn::Module {
 public:
  ThreeParams() {
    register_parameter("a", Tensor::full({5}, 1.0));
    register_parameter("b", Tensor::full({7, 3}, 2.0));
    register_parameter("c", Tensor::full({40}, 3.0));
  }
};

TEST(GradBucketReducer, BucketsCoverTheWholeBufferLastParameterFirst) {
  ThreeParams m;
  nn::FlatParameters flat(m);
  const Tensor grads = flat.buffers().at(DType::f32).grads;
  distributed::GradBucketReducer r(grads, m.parameters(), std::make_shared<SingleProcessGroup>(), 30 * 4);
  const auto& b = r.buckets();
  ASSERT_EQ(b.size(), 2u);  // c alone (40 >= 30), then a and b
  EXPECT_EQ(b[0].offset + b[0].numel, grads.numel());
  EXPECT_EQ(b[1].offset, 0);
  EXPECT_EQ(b[1].offset + b[1].numel, b[0].offset);
  // One backward fires every hook: all buckets start during backward.
  Tensor loss = ops::add(ops::add(ops::sum(m.parameter("a")), ops::sum(m.parameter("b"))), ops::sum(m.parameter("c")));
  loss.backward();
  r.finish();
  EXPECT_EQ(r.buckets_started_in_backward(), 2);
  EXPECT_EQ(m.parameter("b").grad().to_float_vector(), std::vector<float>(21, 1.0f));
}

TEST(ZeroAdamW, SingleShardMatchesAdamW) {
  auto run = [](bool zero) {
    ThreeParams m;
    nn::FlatParameters flat(m, 4);
    const nn::FlatBuffer& b = flat.buffers().at(DType::f32);
    std::vector<optim::ParamGroup> groups = {{{"a", "c"}, {m.parameter("a"), m.parameter("c")}, 0.1},
                                             {{"b"}, {m.parameter("b")}, 0.0}};
    optim::AdamWOptions o{.lr = 0.05, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8};
    std::unique_ptr<optim::Optimizer> opt;
    optim::ZeroAdamW* z = nullptr;
    if (zero) {
      auto p = std::make_unique<optim::ZeroAdamW>(groups, o, b.params, b.grads, std::make_shared<SingleProcessGroup>());
      z = p.get();
      opt = std::move(p);
    } else {
      opt = std::make_unique<optim::AdamW>(groups, o);
    }
    std::vector<double> norms;
    for (int step = 0; step < 4; ++step) {
      flat.zero_grads();
      ops::sum(ops::mul(ops::add(ops::sum(m.parameter("a")), ops::mean(m.parameter("b"))),
                        ops::sum(ops::mul(m.parameter("c"), m.parameter("c")))))
          .backward();
      if (z) z->reduce_gradients();
      norms.push_back(z ? z->clip_grad_norm(0.5) : optim::clip_grad_norm(m.parameters(), 0.5));
      opt->step();
    }
    opt->gather_state();
    return std::make_tuple(b.params.to_float_vector(), norms, opt->state().at("b/exp_avg_sq").to_float_vector());
  };
  auto [p_ref, n_ref, v_ref] = run(false);
  auto [p_zero, n_zero, v_zero] = run(true);
  EXPECT_EQ(p_zero, p_ref);
  EXPECT_EQ(v_zero, v_ref);
  for (size_t i = 0; i < n_ref.size(); ++i) EXPECT_NEAR(n_zero[i], n_ref[i], 1e-9 * n_ref[i]);
}

TEST(ZeroAdamW, LoadStateRejectsMissingEntries) {
  ThreeParams m;
  nn::FlatParameters flat(m);
  const nn::FlatBuffer& b = flat.buffers().at(DType::f32);
  optim::ZeroAdamW z({{{"a", "b", "c"}, m.parameters(), 0.0}}, {}, b.params, b.grads,
                     std::make_shared<SingleProcessGroup>());
  z.state()["a/exp_avg"] = Tensor::zeros({5});
  try {
    z.load_state();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'b/exp_avg'"), std::string::npos) << e.what();
  }
}

// Trainer with parallel.zero=1 on one process takes the ZeRO path end to end.
TEST(DistributedTrainer, ZeroOnOneProcessMatchesPlainAdamW) {
  const auto dir = e2e::fresh_dir("dist");
  e2e::write_tiny_shards(dir / "shards", 64);
  recipes::Trainer plain(disttest::tiny_recipe("gpt2-test", dir / "shards", dir / "plain", 4));
  recipes::Trainer zero(disttest::tiny_recipe("gpt2-test", dir / "shards", dir / "zero", 4, {"parallel.zero=1"}));
  const auto a = plain.run(), b = zero.run();
  EXPECT_LE(disttest::max_loss_rel_diff(b.losses, a.losses), 1e-6);
  EXPECT_LE(disttest::max_weight_diff(disttest::weights_of(zero), disttest::weights_of(plain)), 1e-6);
  EXPECT_LT(a.losses.back(), a.losses.front());
}

}  // namespace
}  // namespace forge
