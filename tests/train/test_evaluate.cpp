// evaluate_shards (forge eval's library code): every consecutive window scored
// once, independent of the batch size, masked targets skipped; and loading a
// model from checkpoint contents (names and shapes checked). Evaluation runs on
// every device (tests/support/test_device.h).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "common/error.h"
#include "data/token_shards.h"
#include "nn/transformer.h"
#include "train/evaluate.h"
#include "train/inference.h"
#include "tests/support/test_device.h"

namespace forge {
namespace {

std::string write_shard_file(const std::string& tag, int64_t n, int64_t vocab, bool with_mask) {
  const auto dir = std::filesystem::temp_directory_path() / ("forge_evaluate_" + tag);
  std::filesystem::create_directories(dir);
  data::TokenShard s;
  s.vocab_size = vocab;
  s.tokenizer_fingerprint = "test";
  s.doc_offsets = {0};
  Generator gen(5);
  for (int64_t i = 0; i < n; ++i) {
    s.tokens.push_back(static_cast<uint32_t>(gen.next_uniform() * double(vocab)));
    if (with_mask) s.loss_mask.push_back(i % 3 != 0);
  }
  const std::string path = (dir / "val_000000.h5").string();
  data::write_shard(path, s);
  return path;
}

// Mean -log p(target) over windows i*T .. i*T+T computed one window at a time in double.
double reference_loss(const nn::TransformerLM& model, const std::vector<uint32_t>& tokens,
                      const std::vector<uint8_t>& mask, int64_t T, int64_t* count) {
  NoGradGuard no_grad;
  const int64_t W = (static_cast<int64_t>(tokens.size()) - 1) / T, V = model.config().vocab_size;
  double sum = 0.0;
  *count = 0;
  for (int64_t w = 0; w < W; ++w) {
    std::vector<int64_t> ids(tokens.begin() + w * T, tokens.begin() + w * T + T);
    const Tensor input = Tensor::from_vector(ids, {1, T}).to(model.parameters().front().device());
    std::vector<float> logits = model.forward(input, nn::ForwardContext{}).to_float_vector();
    for (int64_t t = 0; t < T; ++t) {
      const int64_t pos = w * T + t + 1;
      if (!mask.empty() && mask[pos] == 0) continue;
      double mx = -1e300, z = 0.0;
      for (int64_t v = 0; v < V; ++v) mx = std::max(mx, double(logits[t * V + v]));
      for (int64_t v = 0; v < V; ++v) z += std::exp(double(logits[t * V + v]) - mx);
      sum += -(double(logits[t * V + tokens[pos]]) - mx - std::log(z));
      ++*count;
    }
  }
  return sum / static_cast<double>(*count);
}

class EvaluateOnDevice : public testing::DeviceTest {};
FORGE_INSTANTIATE_ON_DEVICES(EvaluateOnDevice);

TEST_P(EvaluateOnDevice, EveryWindowOnceWhateverTheBatchSize) {
  nn::TransformerLM model(nn::preset("gpt2-test"), 1);
  {
    NoGradGuard no_grad;  // sharper than the 0.02 init, so the loss is far from log(V)
    for (Tensor p : model.parameters())
      if (p.dim() >= 2) ops::mul_scalar_(p, 8.0);
  }
  model.to(GetParam());
  const std::string path = write_shard_file("plain_" + GetParam().str(), 200, 64, false);
  const data::TokenShard shard = data::read_shard(path);
  const int64_t T = 12;  // 199 / 12 = 16 windows, 7 tail tokens unscored
  int64_t count = 0;
  const double expected = reference_loss(model, shard.tokens, {}, T, &count);
  EXPECT_EQ(count, 16 * T);
  for (int64_t B : {1, 3, 16, 40}) {
    const recipes::EvalResult r = recipes::evaluate_shards(model, path, T, B);
    EXPECT_EQ(r.tokens, 16 * T) << "B=" << B;
    EXPECT_NEAR(r.loss, expected, 1e-5) << "B=" << B;
    EXPECT_NEAR(r.perplexity, std::exp(expected), 1e-5 * std::exp(expected)) << "B=" << B;
  }
  EXPECT_GT(std::fabs(expected - std::log(64.0)), 0.1);
}

TEST_P(EvaluateOnDevice, MaskedTargetsAreNotScored) {
  nn::TransformerLM model(nn::preset("llama-test"), 2);
  model.to(GetParam());
  const std::string path = write_shard_file("masked_" + GetParam().str(), 101, 64, true);
  const data::TokenShard shard = data::read_shard(path);
  int64_t count = 0;
  const double expected = reference_loss(model, shard.tokens, shard.loss_mask, 10, &count);
  const recipes::EvalResult r = recipes::evaluate_shards(model, path, 10, 4);
  EXPECT_EQ(r.tokens, count);
  EXPECT_LT(r.tokens, 100);
  EXPECT_NEAR(r.loss, expected, 1e-5);
}

TEST(Evaluate, Errors) {
  nn::TransformerLM model(nn::preset("gpt2-test"), 1);  // block_size 16, vocab 64
  const std::string path = write_shard_file("errors", 50, 64, false);
  auto message = [&](auto fn) -> std::string {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message([&] { recipes::evaluate_shards(model, path, 17, 2); }).find("block_size 16"), std::string::npos);
  EXPECT_NE(message([&] { recipes::evaluate_shards(model, path, 8, 0); }).find("batch_size"), std::string::npos);
  const std::string big = write_shard_file("bigvocab", 50, 100, false);
  EXPECT_NE(message([&] { recipes::evaluate_shards(model, big, 8, 2); }).find("vocabulary of 100"), std::string::npos);
}

TEST(Inference, ModelFromCheckpointContents) {
  nn::TransformerLM source(nn::preset("llama-test"), 7);
  recipes::CheckpointContents c;
  c.model_config = source.config();
  for (const auto& [name, t] : source.named_parameters()) c.model.emplace_back(name, t.clone());
  auto model = recipes::model_from_checkpoint(c, "ck.h5");
  EXPECT_FALSE(model->is_training());
  for (const auto& [name, t] : source.named_parameters())
    EXPECT_EQ(model->parameter(name).to_float_vector(), t.to_float_vector()) << name;

  auto message = [&](const recipes::CheckpointContents& bad) -> std::string {
    try {
      recipes::model_from_checkpoint(bad, "ck.h5");
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  recipes::CheckpointContents missing = c;
  missing.model.pop_back();
  EXPECT_NE(message(missing).find("'ck.h5' does not match the model:\n  lm_head.weight: not in the checkpoint"), std::string::npos);
  recipes::CheckpointContents extra = c;
  extra.model.emplace_back("model.extra.weight", Tensor::zeros({2}));
  EXPECT_NE(message(extra).find("model.extra.weight: not in the model"), std::string::npos);
  recipes::CheckpointContents shape = c;
  shape.model[0].second = Tensor::zeros({3, 3});
  EXPECT_NE(message(shape).find("checkpoint (3, 3), model (64, 32)"), std::string::npos);
}

TEST(Inference, TokenizerFromTheRecipeText) {
  recipes::CheckpointContents c;
  EXPECT_EQ(recipes::tokenizer_of_checkpoint(c, "ck.h5"), "");
  c.recipe_yaml = "model:\n  preset: gpt2-test\ndata:\n  train: x.h5\n  tokenizer: some/dir\ntrain:\n  max_steps: 1\n";
  EXPECT_EQ(recipes::tokenizer_of_checkpoint(c, "ck.h5"), "some/dir");
}

}  // namespace
}  // namespace forge
