// ProcessGroup's MPI backend against values computed by hand from each rank's
// known input, and the dp x tp x pp layout's sub-groups; runs under mpirun.
#include <gtest/gtest.h>

#include <numeric>

#include "distributed/layout.h"
#include "distributed/world.h"

namespace forge {
namespace {

using distributed::ReduceOp;

std::shared_ptr<distributed::ProcessGroup> world() { return distributed::init_world(); }

// Rank r's input: element i is r * 100 + i.
Tensor rank_values(int rank, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = float(rank * 100 + i);
  return Tensor::from_vector(v, {n});
}

TEST(MpiProcessGroup, AllReduceSumAndAvg) {
  auto g = world();
  const int n = g->size();
  ASSERT_GE(n, 2) << "run under mpirun -np 2 or more";
  EXPECT_EQ(g->backend(), "mpi");
  Tensor s = rank_values(g->rank(), 5), a = rank_values(g->rank(), 5);
  auto w1 = g->all_reduce(s, ReduceOp::sum);
  auto w2 = g->all_reduce(a, ReduceOp::avg);  // two in flight at once
  w2->wait();
  w1->wait();
  w1->wait();  // idempotent
  const float rank_sum = float(n * (n - 1) / 2);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(s.to_float_vector()[i], 100 * rank_sum + float(n * i));
    EXPECT_FLOAT_EQ(a.to_float_vector()[i], 100 * rank_sum / float(n) + float(i));
  }
}

TEST(MpiProcessGroup, ReduceScatterGivesEachRankItsBlock) {
  auto g = world();
  const int n = g->size();
  Tensor in = rank_values(g->rank(), 3 * n), out = Tensor::zeros({3});
  g->reduce_scatter(in, out, ReduceOp::avg)->wait();
  const float mean_rank = float(n - 1) / 2.0f;
  for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(out.to_float_vector()[i], 100 * mean_rank + float(3 * g->rank() + i));
  Tensor bad = Tensor::zeros({4});
  EXPECT_THROW(g->reduce_scatter(in, bad, ReduceOp::sum), Error);
}

TEST(MpiProcessGroup, AllGatherOutOfPlaceAndInPlace) {
  auto g = world();
  const int n = g->size();
  Tensor mine = rank_values(g->rank(), 2), all = Tensor::zeros({2 * n});
  g->all_gather(mine, all)->wait();
  Tensor buf = Tensor::zeros({2 * n});
  Tensor block = make_view(buf, {2}, {1}, 2 * g->rank());
  for (int i = 0; i < 2; ++i) block.data<float>()[i] = float(g->rank() * 100 + i);
  g->all_gather(block, buf)->wait();
  for (int r = 0; r < n; ++r)
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(all.to_float_vector()[2 * r + i], float(r * 100 + i));
      EXPECT_EQ(buf.to_float_vector()[2 * r + i], float(r * 100 + i));
    }
}

TEST(MpiProcessGroup, BroadcastFromLastRank) {
  auto g = world();
  const int root = g->size() - 1;
  Tensor t = rank_values(g->rank(), 4);
  g->broadcast(t, root)->wait();
  EXPECT_EQ(t.to_float_vector(), rank_values(root, 4).to_float_vector());
  EXPECT_THROW(g->broadcast(t, g->size()), Error);
}

TEST(MpiProcessGroup, SendRecvAroundARing) {
  auto g = world();
  const int n = g->size(), r = g->rank();
  Tensor out = rank_values(r, 6), in = Tensor::zeros({6});
  auto recv = g->recv(in, (r + n - 1) % n, 7);
  auto send = g->send(out, (r + 1) % n, 7);
  send->wait();
  recv->wait();
  EXPECT_EQ(in.to_float_vector(), rank_values((r + n - 1) % n, 6).to_float_vector());
  g->barrier();
}

TEST(MpiProcessGroup, SplitByParity) {
  auto g = world();
  const int n = g->size(), r = g->rank();
  auto sub = g->split(r % 2, r);
  EXPECT_EQ(sub->size(), (n + 1 - r % 2) / 2);
  EXPECT_EQ(sub->rank(), r / 2);
  Tensor t = Tensor::full({1}, double(r));
  sub->all_reduce(t, ReduceOp::sum)->wait();
  double expect = 0;
  for (int k = r % 2; k < n; k += 2) expect += k;
  EXPECT_EQ(t.item(), expect);
}

TEST(MpiLayout, SubGroupsFollowThePlacement) {
  auto g = world();
  const int n = g->size();
  const int tp = n % 2 == 0 ? 2 : 1;
  distributed::Layout l = distributed::Layout::create(g, 0, tp, 1);
  EXPECT_EQ(l.dp * l.tp, n);
  EXPECT_EQ(l.rank_of(l.dp_rank, l.tp_rank, l.pp_rank), g->rank());
  EXPECT_EQ(l.tp_group->size(), tp);
  EXPECT_EQ(l.dp_group->size(), l.dp);
  EXPECT_EQ(l.pp_group->size(), 1);
  EXPECT_EQ(l.tp_group->rank(), l.tp_rank);
  EXPECT_EQ(l.dp_group->rank(), l.dp_rank);
  // The tp group sums world ranks dp_rank*tp + (0..tp-1).
  Tensor t = Tensor::full({1}, double(g->rank()));
  l.tp_group->all_reduce(t, ReduceOp::sum)->wait();
  EXPECT_EQ(t.item(), double(l.dp_rank * tp * tp + tp * (tp - 1) / 2));
}

TEST(MpiLayout, MismatchIsTheSameErrorOnEveryRank) {
  auto g = world();
  try {
    distributed::Layout::create(g, g->size() + 1, 1, 1);
    FAIL() << "expected an error";
  } catch (const distributed::UniformError& e) {
    EXPECT_NE(std::string(e.what()).find("world size " + std::to_string(g->size()) + " does not match"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace forge
