// Module tree, Hugging Face names, flat parameter buffers and both model
// families end to end; training and checkpointing on every device
// (tests/support/test_device.h).
#include <gtest/gtest.h>

#include <set>

#include "autograd/ops.h"
#include "nn/flat_parameters.h"
#include "nn/transformer.h"
#include "optim/optimizer.h"
#include "tests/support/test_device.h"

namespace forge {
namespace {

std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [n, t] : m.named_parameters()) out.push_back(n);
  return out;
}

TEST(Transformer, Gpt2NamesFollowHuggingFace) {
  nn::TransformerLM model(nn::preset("gpt2-test"), 0);
  std::vector<std::string> names = names_of(model);
  std::vector<std::string> expected = {
      "transformer.wte.weight", "transformer.wpe.weight",
      "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias",
      "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias",
      "transformer.h.0.attn.c_proj.weight", "transformer.h.0.attn.c_proj.bias",
      "transformer.h.0.ln_2.weight", "transformer.h.0.ln_2.bias",
      "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_fc.bias",
      "transformer.h.0.mlp.c_proj.weight", "transformer.h.0.mlp.c_proj.bias"};
  ASSERT_GE(names.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(names[i], expected[i]);
  EXPECT_EQ(names.back(), "transformer.ln_f.bias");
  EXPECT_EQ(model.parameter("transformer.h.1.attn.c_attn.weight").shape(), (Shape{96, 32}));
}

TEST(Transformer, LlamaNamesShapesAndUntiedHead) {
  nn::ModelConfig c = nn::preset("llama-test");
  nn::TransformerLM model(c, 0);
  std::set<std::string> names;
  for (const auto& n : names_of(model)) names.insert(n);
  for (const char* n : {"model.embed_tokens.weight", "model.layers.0.input_layernorm.weight",
                        "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                        "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                        "model.layers.0.post_attention_layernorm.weight", "model.layers.0.mlp.gate_proj.weight",
                        "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
                        "model.norm.weight", "lm_head.weight"})
    EXPECT_TRUE(names.count(n)) << n;
  // GQA: 4 query heads, 2 kv heads of dim 8.
  EXPECT_EQ(model.parameter("model.layers.0.self_attn.k_proj.weight").shape(), (Shape{16, 32}));
  EXPECT_EQ(model.parameter("model.layers.0.mlp.gate_proj.weight").shape(), (Shape{64, 32}));
}

TEST(Transformer, ScaledResidualInit) {
  nn::ModelConfig c = nn::preset("gpt2-test");
  c.n_embd = 64;
  c.n_layer = 8;
  nn::TransformerLM model(c, 1);
  auto stdev = [](const Tensor& t) {
    double s = 0, s2 = 0;
    auto v = t.to_double_vector();
    for (double x : v) s += x, s2 += x * x;
    return std::sqrt(s2 / v.size() - (s / v.size()) * (s / v.size()));
  };
  EXPECT_NEAR(stdev(model.parameter("transformer.h.0.mlp.c_fc.weight")), 0.02, 0.002);
  EXPECT_NEAR(stdev(model.parameter("transformer.h.0.mlp.c_proj.weight")), 0.02 / 4.0, 0.0006);
}

TEST(Transformer, ConfigErrorsNameTheField) {
  nn::ModelConfig c = nn::preset("llama-test");
  c.n_kv_head = 3;
  try {
    nn::TransformerLM m(c, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_kv_head"), std::string::npos) << e.what();
  }
  EXPECT_THROW(nn::preset("gpt3"), Error);
}

// Both families on each device: a few AdamW steps on one fixed batch must
// drive the loss down, with parameters living in the flat buffer the optimizer
// updates in place, on the model's device.
class FamilyTraining : public ::testing::TestWithParam<std::tuple<std::string, Device>> {};

TEST_P(FamilyTraining, LossFallsOnAFixedBatch) {
  const auto& [family, device] = GetParam();
  nn::ModelConfig c = nn::preset(family);
  nn::TransformerLM model(c, 3);
  model.to(device);
  nn::FlatParameters flat(model);
  ASSERT_EQ(flat.buffers().size(), 1u);
  const Tensor& buffer = flat.buffers().at(DType::f32).params;
  EXPECT_EQ(buffer.device(), device);
  for (const Tensor& p : model.parameters()) EXPECT_TRUE(p.shares_storage(buffer));
  optim::AdamW opt({{{}, model.parameters(), 0.0}}, {.lr = 3e-3});
  Generator gen(5);
  std::vector<int64_t> ids(2 * 9);
  for (auto& v : ids) v = static_cast<int64_t>(gen.next_uniform() * c.vocab_size);
  Tensor all = Tensor::from_vector(ids, {2, 9}).to(device);
  Tensor inputs = all.narrow(1, 0, 8).contiguous(), targets = all.narrow(1, 1, 8).contiguous();
  nn::ForwardContext ctx;
  ctx.training = true;
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    flat.zero_grads();
    Tensor loss = nn::TransformerLM::loss(model.forward(inputs, ctx), targets);
    loss.backward();
    EXPECT_EQ(loss.device(), device);
    if (step == 0) first = loss.item();
    last = loss.item();
    opt.step();
  }
  EXPECT_NEAR(first, std::log(static_cast<double>(c.vocab_size)), 0.3);
  EXPECT_LT(last, 0.5 * first);
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyTraining,
                         ::testing::Combine(::testing::Values("gpt2-test", "llama-test"),
                                            ::testing::ValuesIn(testing::test_devices())),
                         [](const auto& info) {
                           return std::get<0>(info.param).substr(0, std::get<0>(info.param).find('-')) + "_" +
                                  testing::device_test_name({std::get<1>(info.param), info.index});
                         });

class CheckpointedBlocks : public testing::DeviceTest {};
FORGE_INSTANTIATE_ON_DEVICES(CheckpointedBlocks);

TEST_P(CheckpointedBlocks, GiveTheSameGradients) {
  const Device device = GetParam();
  nn::ModelConfig c = nn::preset("gpt2-test");
  c.dropout = 0.1;
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 5, 9, 2, 7, 3, 3, 8}, {1, 8}).to(device);
  std::vector<std::vector<float>> grads[2];
  for (int mode = 0; mode < 2; ++mode) {
    nn::TransformerLM model(c, 11);
    model.to(device);
    model.set_activation_checkpointing(mode == 1);
    Generator drop(99);
    nn::ForwardContext ctx;
    ctx.training = true;
    ctx.dropout_gen = &drop;
    nn::TransformerLM::loss(model.forward(ids, ctx), ids).backward();
    for (const Tensor& p : model.parameters()) {
      EXPECT_EQ(p.grad().device(), device);
      grads[mode].push_back(p.grad().to_float_vector());
    }
  }
  ASSERT_EQ(grads[0].size(), grads[1].size());
  for (size_t i = 0; i < grads[0].size(); ++i)
    for (size_t j = 0; j < grads[0][i].size(); ++j) ASSERT_FLOAT_EQ(grads[0][i][j], grads[1][i][j]) << i << "," << j;
}

}  // namespace
}  // namespace forge
