// Fused nn ops, part 2: cross-entropy (ignore_index, any leading shape, i32/i64
// targets, errors) and Philox dropout (reproducible masks, keep rate, scaling,
// thread-count independence, backward regenerating the mask).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <string>

#include "autograd/ops.h"
#include "common/philox.h"
#include "tests/autograd/gradcheck.h"
#include "tests/test_util.h"

namespace forge {
namespace {

using testing::expect_gradients_match;
using testing::random_input;
using testing::error_of;
using Ins = std::vector<Tensor>;

// Reference loss: mean over counted rows of logsumexp(row) - row[target].
double reference_ce(const std::vector<double>& logits, const std::vector<int64_t>& targets, int64_t V,
                    int64_t ignore) {
  double total = 0;
  int64_t count = 0;
  for (size_t r = 0; r < targets.size(); ++r) {
    if (targets[r] == ignore) continue;
    double m = -INFINITY, s = 0;
    for (int64_t v = 0; v < V; ++v) m = std::max(m, logits[r * V + v]);
    for (int64_t v = 0; v < V; ++v) s += std::exp(logits[r * V + v] - m);
    total += m + std::log(s) - logits[r * V + targets[r]];
    ++count;
  }
  return count ? total / count : 0.0;
}

// ---- cross-entropy ------------------------------------------------------------------

TEST(NnOpsLoss, CrossEntropyGradcheckWithIgnoredRows) {
  Tensor logits = random_input({5, 7}, 601, 2.0);
  Tensor targets = Tensor::from_vector(std::vector<int64_t>{3, -100, 0, 6, -100}, {5});
  expect_gradients_match([targets](const Ins& in) { return ops::cross_entropy(in[0], targets); }, {logits});
  // Custom ignore_index and i32 targets.
  Tensor t32 = Tensor::from_vector(std::vector<int64_t>{1, 2, 2, 0, 5}, {5}, DType::i32);
  expect_gradients_match([t32](const Ins& in) { return ops::cross_entropy(in[0], t32, 2); }, {logits});
}

TEST(NnOpsLoss, CrossEntropyGradcheck3dAndNonContiguous) {
  Tensor logits = random_input({2, 3, 4}, 602);
  Tensor targets = Tensor::from_vector(std::vector<int64_t>{0, 3, -100, 1, 1, 2}, {2, 3});
  expect_gradients_match([targets](const Ins& in) { return ops::cross_entropy(in[0], targets); }, {logits});
  // Logits stored (V, N) and transposed to (N, V).
  Tensor lt = random_input({6, 4}, 603);
  Tensor t = Tensor::from_vector(std::vector<int64_t>{5, 0, -100, 2}, {4});
  expect_gradients_match([t](const Ins& in) { return ops::cross_entropy(in[0].transpose(0, 1), t); }, {lt});
}

TEST(NnOpsLoss, CrossEntropyValuesAndLargeVocab) {
  // V larger than one online-softmax block, with a large logit in a later block.
  const int64_t N = 4, V = 1500;
  Generator gen(61);
  Tensor logits = Tensor::randn({N, V}, gen, DType::f64, 0.0, 3.0);
  double* p = logits.data<double>();
  p[1 * V + 1200] = 40.0;
  p[2 * V + 10] = -50.0;
  std::vector<int64_t> tv{1200, 7, -100, 1499};
  Tensor targets = Tensor::from_vector(tv, {N});
  const double want = reference_ce(logits.to_double_vector(), tv, V, -100);
  EXPECT_NEAR(ops::cross_entropy(logits, targets).item(), want, 1e-12 * std::abs(want) + 1e-12);
  // f32 path agrees too.
  EXPECT_NEAR(ops::cross_entropy(logits.to(DType::f32), targets).item(), want, 1e-5 * std::abs(want) + 1e-5);
  // Loss is a 0-d tensor of the logits' dtype.
  EXPECT_EQ(ops::cross_entropy(logits, targets).dim(), 0);
}

TEST(NnOpsLoss, CrossEntropyGradientIsSoftmaxMinusOnehot) {
  Tensor logits = Tensor::from_vector(std::vector<float>{1, 2, 3, 0, 0, 0}, {2, 3});
  logits.set_requires_grad(true);
  Tensor targets = Tensor::from_vector(std::vector<int64_t>{2, 0}, {2});
  ops::cross_entropy(logits, targets).backward();
  std::vector<float> g = logits.grad().to_float_vector();
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0), z = e1 + e2 + e3;
  const double want[6] = {e1 / z / 2, e2 / z / 2, (e3 / z - 1) / 2, (1.0 / 3 - 1) / 2, 1.0 / 6, 1.0 / 6};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(g[i], want[i], 1e-6) << i;
}

TEST(NnOpsLoss, CrossEntropyAllIgnoredGivesZero) {
  Tensor logits = random_input({3, 4}, 604);
  Tensor targets = Tensor::full({3}, -100, DType::i64);
  Tensor loss = ops::cross_entropy(logits, targets);
  EXPECT_EQ(loss.item(), 0.0);
  loss.backward();
  ASSERT_TRUE(logits.grad().defined());
  for (double v : logits.grad().to_double_vector()) EXPECT_EQ(v, 0.0);
}

TEST(NnOpsLoss, CrossEntropyBf16MatchesF32) {
  Generator gen(62);
  Tensor logits = Tensor::randn({8, 700}, gen, DType::bf16, 0.0, 2.0);
  std::vector<int64_t> tv{3, 699, -100, 0, 12, 345, 500, -100};
  Tensor targets = Tensor::from_vector(tv, {8});
  auto run = [&](DType dt) {
    Tensor l = logits.to(dt).detach().set_requires_grad(true);
    Tensor loss = ops::cross_entropy(l, targets);
    EXPECT_EQ(loss.dtype(), DType::f32);  // the loss is fp32 for 16-bit logits (docs/mixed-precision.md)
    loss.backward();
    return std::vector<Tensor>{loss, l.grad()};
  };
  std::vector<Tensor> lo = run(DType::bf16), ref = run(DType::f32);
  EXPECT_NEAR(lo[0].item(), ref[0].item(), 1e-2 * std::abs(ref[0].item()));
  std::vector<double> a = lo[1].to_double_vector(), b = ref[1].to_double_vector();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 + 8e-3 * std::abs(b[i])) << i;
}

TEST(NnOpsLoss, CrossEntropyErrorsNameValueAndPosition) {
  Tensor logits = Tensor::zeros({2, 3, 5});
  Tensor bad = Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 4, 7, 1}, {2, 3});
  std::string msg = error_of([&] { ops::cross_entropy(logits, bad); });
  EXPECT_NE(msg.find("cross_entropy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("target 7"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(1, 1)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[0, 5)"), std::string::npos) << msg;
  Tensor neg = Tensor::from_vector(std::vector<int64_t>{-1, 0}, {2});
  msg = error_of([&] { ops::cross_entropy(Tensor::zeros({2, 5}), neg); });
  EXPECT_NE(msg.find("target -1"), std::string::npos) << msg;
  msg = error_of([&] { ops::cross_entropy(logits, Tensor::zeros({6}, DType::i64)); });
  EXPECT_NE(msg.find("(2, 3, 5)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(6)"), std::string::npos) << msg;
  EXPECT_THROW(ops::cross_entropy(logits, Tensor::zeros({2, 3}, DType::f32)), Error);
}

// ---- dropout --------------------------------------------------------------------------

TEST(NnOpsLoss, DropoutSameStateSameMaskAndOffsetsAdvance) {
  Tensor x = Tensor::ones({1000});
  Generator g1(7), g2(7);
  std::vector<float> a = ops::dropout(x, 0.4, g1).to_float_vector();
  std::vector<float> b = ops::dropout(x, 0.4, g2).to_float_vector();
  EXPECT_EQ(a, b);
  EXPECT_EQ(g1.offset(), 250u);  // 4 elements per Philox counter
  std::vector<float> c = ops::dropout(x, 0.4, g1).to_float_vector();
  EXPECT_NE(a, c);
  Generator g3(8);
  EXPECT_NE(a, ops::dropout(x, 0.4, g3).to_float_vector());
}

TEST(NnOpsLoss, DropoutMaskIsPhiloxOfSeedOffsetAndIndex) {
  // Element i keeps when the top 24 bits of word i % 4 of philox4x32(offset + i / 4, seed),
  // as a uniform in [0, 1), are >= p. 10 elements: two whole counters and a partial one.
  const uint64_t seed = 0x1234567887654321ull, offset = 99;
  const double p = 0.5;
  Generator gen(seed, offset);
  std::vector<float> y = ops::dropout(Tensor::ones({10}), p, gen).to_float_vector();
  EXPECT_EQ(gen.offset(), offset + 3);
  for (int64_t i = 0; i < 10; ++i) {
    const auto r = philox4x32(offset + static_cast<uint64_t>(i / 4), seed);
    const bool keep = uniform_from_bits(r[i % 4]) >= p;
    EXPECT_EQ(y[i], keep ? 2.0f : 0.0f) << i;
  }
}

TEST(NnOpsLoss, DropoutKeepRateAndScale) {
  const int64_t n = 200000;
  const double p = 0.3;
  Generator gen(9);
  std::vector<float> y = ops::dropout(Tensor::ones({n}), p, gen).to_float_vector();
  int64_t kept = 0;
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  for (float v : y) {
    if (v != 0.0f) {
      ++kept;
      EXPECT_FLOAT_EQ(v, scale);
    }
  }
  const double rate = static_cast<double>(kept) / n;
  EXPECT_NEAR(rate, 1.0 - p, 0.01);
}

TEST(NnOpsLoss, DropoutIdentityCasesAndExtremes) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  Generator gen(10);
  EXPECT_TRUE(ops::dropout(x, 0.0, gen).shares_storage(x));
  EXPECT_TRUE(ops::dropout(x, 0.5, gen, /*training=*/false).shares_storage(x));
  EXPECT_EQ(gen.offset(), 0u);
  for (float v : ops::dropout(x, 1.0, gen).to_float_vector()) EXPECT_EQ(v, 0.0f);
  EXPECT_THROW(ops::dropout(x, 1.5, gen), Error);
  EXPECT_THROW(ops::dropout(x, -0.1, gen), Error);
}

TEST(NnOpsLoss, DropoutSameAcrossThreadCounts) {
  Tensor x = Tensor::ones({300001});
  const int prev = omp_get_max_threads();
  omp_set_num_threads(1);
  Generator g1(11, 5);
  std::vector<float> a = ops::dropout(x, 0.25, g1).to_float_vector();
  omp_set_num_threads(std::max(2, prev));
  Generator g2(11, 5);
  std::vector<float> b = ops::dropout(x, 0.25, g2).to_float_vector();
  omp_set_num_threads(prev);
  EXPECT_EQ(a, b);
}

TEST(NnOpsLoss, DropoutBackwardRegeneratesMask) {
  Generator gen(12);
  Tensor x = Tensor::randn({3, 50}, gen, DType::f32);
  x.set_requires_grad(true);
  Tensor y = ops::dropout(x.transpose(0, 1), 0.5, gen);
  Generator ggen(13);
  Tensor gy = Tensor::randn({50, 3}, ggen, DType::f32);
  y.backward(gy);
  // dx^T = gy * (y != 0) * 2
  std::vector<float> yv = y.to_float_vector(), gv = gy.to_float_vector();
  std::vector<float> dx = x.grad().transpose(0, 1).contiguous().to_float_vector();
  for (size_t i = 0; i < yv.size(); ++i) EXPECT_FLOAT_EQ(dx[i], yv[i] != 0.0f ? 2.0f * gv[i] : 0.0f) << i;
}

TEST(NnOpsLoss, DropoutGradcheck) {
  Tensor x = random_input({4, 6}, 701);
  // A fresh generator per call so every finite-difference evaluation sees the same mask.
  expect_gradients_match(
      [](const Ins& in) {
        Generator g(77, 3);
        return ops::dropout(in[0], 0.3, g);
      },
      {x});
  Tensor xt = random_input({6, 4}, 702);
  expect_gradients_match(
      [](const Ins& in) {
        Generator g(78);
        return ops::dropout(in[0].transpose(0, 1), 0.6, g);
      },
      {xt});
}

}  // namespace
}  // namespace forge
