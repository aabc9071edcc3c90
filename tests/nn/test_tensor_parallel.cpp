// Single-process checks of the tensor- and pipeline-parallel building blocks
// (their multi-rank equivalence is tested under mpirun in
// tests/distributed/mpi): pieces of a tensor cut by a ShardSpec reassemble into
// it, a chain of pipeline-stage models computes the whole model's logits and
// gradients, and the recipe rejects layouts the model cannot be split into.
#include <gtest/gtest.h>

#include "autograd/ops.h"
#include "nn/tensor_parallel.h"
#include "nn/transformer.h"
#include "recipes/recipe.h"

namespace forge {
namespace {

TEST(TensorParallel, PiecesOfFusedSegmentsReassemble) {
  Generator gen(3);
  // GPT-2's c_attn: (3C, C) with q | k | v segments of C rows each; split in 2.
  Tensor whole = Tensor::randn({12, 5}, gen);
  nn::ShardSpec spec;
  spec.dim = 0;
  spec.segments = {4, 4, 4};
  spec.parts = 2;
  std::vector<Tensor> pieces;
  for (int p = 0; p < 2; ++p) {
    spec.part = p;
    pieces.push_back(nn::shard_of(whole, spec));
    ASSERT_EQ(pieces.back().shape(), (Shape{6, 5}));
  }
  // Piece 1 holds rows 2-3 (q), 6-7 (k), 10-11 (v).
  const std::vector<float> w = whole.to_float_vector(), p1 = pieces[1].to_float_vector();
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 5; ++c) EXPECT_EQ(p1[r * 5 + c], w[((r / 2) * 4 + 2 + r % 2) * 5 + c]);
  EXPECT_EQ(nn::whole_from_pieces(pieces, spec).to_float_vector(), w);
  // Column split (row-parallel weights).
  nn::ShardSpec cols;
  cols.dim = 1;
  cols.segments = {6};
  cols.parts = 3;
  Tensor m = Tensor::randn({4, 6}, gen);
  std::vector<Tensor> col_pieces;
  for (int p = 0; p < 3; ++p) {
    cols.part = p;
    col_pieces.push_back(nn::shard_of(m, cols));
  }
  EXPECT_EQ(nn::whole_from_pieces(col_pieces, cols).to_float_vector(), m.to_float_vector());
}

// Stage models [0, k) and [k, L) run one after the other give the whole model's
// loss and gradients; GPT-2's tied embedding gets its two stages' gradients summed.
void check_stages(const std::string& preset) {
  nn::ModelConfig c = nn::preset(preset);
  c.n_layer = 3;
  nn::TransformerLM whole(c, 7);
  nn::ModelParallelism first_half, second_half;
  first_half.layer_end = 1;
  second_half.layer_begin = 1;
  nn::TransformerLM s0(c, 7, first_half), s1(c, 7, second_half);
  EXPECT_TRUE(s0.first_stage() && !s0.last_stage() && s0.is_partitioned());
  EXPECT_TRUE(!s1.first_stage() && s1.last_stage());
  Generator gen(1);
  std::vector<int64_t> ids(2 * 8);
  for (auto& v : ids) v = static_cast<int64_t>(gen.next_uniform() * double(c.vocab_size)) % c.vocab_size;
  Tensor x = Tensor::from_vector(ids, {2, 8});
  nn::ForwardContext ctx;
  Tensor ref = whole.loss_of(whole.forward(x, ctx), x);
  ref.backward();
  Tensor hidden = s0.forward(x, ctx);
  Tensor handoff = hidden.detach().clone().set_requires_grad(true);
  Tensor got = s1.loss_of(s1.forward(handoff, ctx), x);
  got.backward();
  hidden.backward(handoff.grad());
  EXPECT_NEAR(got.item(), ref.item(), 1e-6);
  std::map<std::string, std::vector<float>> grads;
  for (auto* stage : {&s0, &s1})
    for (const auto& [name, p] : stage->named_parameters()) {
      std::vector<float> g = p.grad().to_float_vector();
      auto [it, fresh] = grads.emplace(name, g);
      if (!fresh)  // the tied embedding: held by both stages
        for (size_t i = 0; i < g.size(); ++i) it->second[i] += g[i];
    }
  ASSERT_EQ(grads.size(), whole.named_parameters().size());
  for (const auto& [name, p] : whole.named_parameters()) {
    const std::vector<float> want = p.grad().to_float_vector(), have = grads.at(name);
    for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(have[i], want[i], 1e-6) << name << "[" << i << "]";
  }
}

TEST(TensorParallel, PipelineStagesComposeToTheWholeModelGpt2) { check_stages("gpt2-test"); }
TEST(TensorParallel, PipelineStagesComposeToTheWholeModelLlama) { check_stages("llama-test"); }

TEST(TensorParallel, RecipeRejectsLayoutsTheModelCannotTake) {
  const std::string yaml = "model: {preset: llama-test}\ndata: {train: 'x_*.h5'}\ntrain: {max_steps: 1}\n";
  auto error_of = [&](std::vector<std::string> overrides) {
    try {
      recipes::parse_recipe(yaml, "r.yaml", overrides);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of({"parallel.tp=4"}).find("n_kv_head 2 is not divisible by tp 4"), std::string::npos)
      << error_of({"parallel.tp=4"});
  EXPECT_NE(error_of({"parallel.tp=3"}).find("parallel.tp"), std::string::npos);
  const std::string bad_split = error_of({"parallel.pp=2", "parallel.pp_layers=[1, 2]"});
  EXPECT_NE(bad_split.find("parallel.pp_layers"), std::string::npos) << bad_split;
  EXPECT_NE(bad_split.find("adding up to 3"), std::string::npos) << bad_split;
  EXPECT_EQ(error_of({"parallel.pp=2", "parallel.pp_layers=[1, 1]"}), "");
  EXPECT_NE(error_of({"parallel.pp_schedule=zigzag"}).find("parallel.pp_schedule"), std::string::npos);
}

TEST(TensorParallel, StageRangeMustBeNonEmpty) {
  nn::ModelParallelism bad;
  bad.layer_begin = 2;
  bad.layer_end = 2;
  EXPECT_THROW(nn::TransformerLM(nn::preset("gpt2-test"), 1, bad), Error);
}

}  // namespace
}  // namespace forge
