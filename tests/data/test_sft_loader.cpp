// The SFT loader: padded rows, packed rows (positions restart, doc ids), masks
// turned into -100 targets, truncation, epoch shuffles, and the property packing
// exists for: packed and padded batches of the same conversations give the same
// loss and the same gradients (GPT-2 and Llama).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "autograd/ops.h"
#include "common/error.h"
#include "data/sft_loader.h"
#include "data/token_shards.h"
#include "nn/transformer.h"
#include "tests/data/test_tokenizer_util.h"

namespace forge::data {
namespace {

struct Conv {
  std::vector<uint32_t> tokens;
  std::vector<uint8_t> mask;
};

std::string write_sft_shard(const std::filesystem::path& dir, const std::vector<Conv>& convs, int64_t vocab = 50) {
  TokenShard s;
  s.vocab_size = vocab;
  s.tokenizer_fingerprint = "test";
  for (const Conv& c : convs) {
    s.doc_offsets.push_back(static_cast<int64_t>(s.tokens.size()));
    s.tokens.insert(s.tokens.end(), c.tokens.begin(), c.tokens.end());
    s.loss_mask.insert(s.loss_mask.end(), c.mask.begin(), c.mask.end());
  }
  const std::string path = (dir / "train_000000.h5").string();
  write_shard(path, s);
  return path;
}

std::vector<int64_t> values(const Tensor& t) {
  const int64_t* p = t.data<int64_t>();
  return std::vector<int64_t>(p, p + t.numel());
}

TEST(SftLoader, PaddedRowsMaskTargetsAndPad) {
  forge::testing::TempDir dir("sft_loader");
  const std::string path = write_sft_shard(dir.path(), {{{1, 2, 3, 4}, {0, 0, 1, 1}}, {{5, 6, 7}, {0, 1, 0}}});
  SftLoaderOptions o;
  o.batch_size = 2;
  o.seq_len = 6;
  SftLoader loader(path, o);
  EXPECT_EQ(loader.num_windows(), 2);
  const Batch b = loader.batch(0, 0);
  EXPECT_EQ(values(b.inputs), (std::vector<int64_t>{1, 2, 3, 4, 0, 0, 5, 6, 7, 0, 0, 0}));
  EXPECT_EQ(values(b.targets), (std::vector<int64_t>{-100, 3, 4, -100, -100, -100, 6, -100, -100, -100, -100, -100}));
  EXPECT_FALSE(b.positions.defined());
  EXPECT_FALSE(b.doc_ids.defined());
}

TEST(SftLoader, PackedRowsRestartPositionsPerConversation) {
  forge::testing::TempDir dir("sft_loader");
  const std::string path = write_sft_shard(
      dir.path(), {{{1, 2, 3}, {0, 1, 1}}, {{4, 5}, {0, 1}}, {{6, 7, 8, 9}, {0, 0, 1, 1}}, {{10, 11, 12, 13, 14, 15, 16, 17}, {0, 1, 1, 1, 1, 1, 1, 1}}});
  SftLoaderOptions o;
  o.batch_size = 3;
  o.seq_len = 6;
  o.packing = true;
  SftLoader loader(path, o);
  // [3 + 2 tokens] [4 tokens] [8 tokens cut to 6]
  EXPECT_EQ(loader.num_windows(), 3);
  EXPECT_EQ(loader.num_truncated(), 1);
  const Batch b = loader.batch(0, 0);
  EXPECT_EQ(values(b.inputs), (std::vector<int64_t>{1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 0, 0, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(values(b.targets),
            (std::vector<int64_t>{2, 3, -100, 5, -100, -100, -100, 8, 9, -100, -100, -100, 11, 12, 13, 14, 15, -100}));
  EXPECT_EQ(values(b.positions), (std::vector<int64_t>{0, 1, 2, 0, 1, 0, 0, 1, 2, 3, 0, 1, 0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(values(b.doc_ids), (std::vector<int64_t>{0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0}));
}

TEST(SftLoader, RandomOrderVisitsEveryRowOncePerEpoch) {
  forge::testing::TempDir dir("sft_loader");
  std::vector<Conv> convs;
  for (uint32_t i = 0; i < 10; ++i) convs.push_back({{i + 1, i + 2}, {0, 1}});
  const std::string path = write_sft_shard(dir.path(), convs);
  SftLoaderOptions o;
  o.batch_size = 2;
  o.seq_len = 4;
  o.order = Order::random;
  o.seed = 3;
  SftLoader loader(path, o);
  std::vector<int64_t> epoch0, epoch1;
  for (int64_t step = 0; step < 10; ++step) {
    const std::vector<int64_t> in = values(loader.batch(step, 0).inputs);
    (step < 5 ? epoch0 : epoch1).push_back(in[0]);
    (step < 5 ? epoch0 : epoch1).push_back(in[4]);
  }
  std::vector<int64_t> sorted0 = epoch0, sorted1 = epoch1;
  std::sort(sorted0.begin(), sorted0.end());
  std::sort(sorted1.begin(), sorted1.end());
  const std::vector<int64_t> all = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(sorted0, all);
  EXPECT_EQ(sorted1, all);
  EXPECT_NE(epoch0, epoch1);
  EXPECT_NE(epoch0, all);
  EXPECT_EQ(values(SftLoader(path, o).batch(3, 0).inputs), values(loader.batch(3, 0).inputs));  // pure function
}

TEST(SftLoader, RejectsShardsWithoutLossMask) {
  forge::testing::TempDir dir("sft_loader");
  TokenShard s;
  s.vocab_size = 10;
  s.tokens = {1, 2, 3};
  s.doc_offsets = {0};
  write_shard((dir.path() / "a.h5").string(), s);
  try {
    SftLoader((dir.path() / "a.h5").string(), SftLoaderOptions{2, 4});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no /loss_mask"), std::string::npos) << e.what();
  }
}

class SftPacking : public ::testing::TestWithParam<nn::Family> {};

TEST_P(SftPacking, PackedAndPaddedGiveTheSameLossAndGradients) {
  forge::testing::TempDir dir("sft_packing");
  // Conversations of 3..9 tokens with assorted masks; seq_len 16 packs 2-4 per row.
  std::vector<Conv> convs;
  Generator gen(5);
  for (int i = 0; i < 9; ++i) {
    Conv c;
    const int n = 3 + i % 7;
    for (int j = 0; j < n; ++j) {
      c.tokens.push_back(static_cast<uint32_t>(gen.next_uniform() * 50));
      c.mask.push_back(j >= n / 2 ? 1 : 0);
    }
    convs.push_back(c);
  }
  const std::string path = write_sft_shard(dir.path(), convs);
  SftLoaderOptions padded;
  padded.seq_len = 16;
  padded.batch_size = static_cast<int64_t>(convs.size());
  SftLoaderOptions packed = padded;
  packed.packing = true;
  const int64_t packed_rows = SftLoader(path, packed).num_windows();
  ASSERT_LT(packed_rows, padded.batch_size);
  packed.batch_size = packed_rows;

  nn::ModelConfig c = nn::preset(GetParam() == nn::Family::gpt2 ? "gpt2-test" : "llama-test");
  c.vocab_size = 50;
  c.block_size = 16;
  nn::TransformerLM model(c, 7);
  auto loss_and_grads = [&](const SftLoaderOptions& o) {
    const Batch b = SftLoader(path, o).batch(0, 0);
    nn::ForwardContext ctx;
    ctx.positions = b.positions;
    ctx.doc_ids = b.doc_ids;
    for (Tensor& p : model.parameters()) p.zero_grad();
    Tensor loss = nn::TransformerLM::loss(model.forward(b.inputs, ctx), b.targets);
    loss.backward();
    std::vector<std::vector<float>> grads;
    for (const Tensor& p : model.parameters()) {
      const Tensor g = p.grad().contiguous();
      grads.emplace_back(g.data<float>(), g.data<float>() + g.numel());
    }
    return std::make_pair(loss.item(), grads);
  };
  const auto [loss_padded, grads_padded] = loss_and_grads(padded);
  const auto [loss_packed, grads_packed] = loss_and_grads(packed);
  EXPECT_NEAR(loss_packed, loss_padded, 1e-5 * std::abs(loss_padded));
  ASSERT_EQ(grads_packed.size(), grads_padded.size());
  for (size_t i = 0; i < grads_padded.size(); ++i) {
    float scale = 1e-6f;
    for (float g : grads_padded[i]) scale = std::max(scale, std::abs(g));
    for (size_t j = 0; j < grads_padded[i].size(); ++j)
      ASSERT_NEAR(grads_packed[i][j], grads_padded[i][j], 2e-4f * scale) << "parameter " << i << " element " << j;
  }
  // Without doc ids and restarting positions, packing would change the loss.
  const Batch b = SftLoader(path, packed).batch(0, 0);
  nn::ForwardContext plain;
  EXPECT_GT(std::abs(nn::TransformerLM::loss(model.forward(b.inputs, plain), b.targets).item() - loss_padded), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Families, SftPacking, ::testing::Values(nn::Family::gpt2, nn::Family::llama),
                         [](const auto& info) { return std::string(nn::family_name(info.param)); });

}  // namespace
}  // namespace forge::data
