// matmul, linear and embedding: fp64 gradient checks (2-D, batched, broadcast
// batch dims, transposed and non-BLAS-layout operands, repeated token ids),
// forward values against naive loops, bf16 against f32, and error messages.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"
#include "common/philox.h"
#include "tests/autograd/gradcheck.h"

namespace forge {
namespace {

using testing::expect_gradients_match;
using testing::random_input;
using V = std::vector<Tensor>;

// Naive (..., M, K) @ (..., K, N) for equal batch dims, in double.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b) {
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1), batch = a.numel() / (M * K);
  std::vector<double> av = a.to_double_vector(), bv = b.to_double_vector(), out(batch * M * N, 0.0);
  for (int64_t z = 0; z < batch; ++z)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j)
        for (int64_t p = 0; p < K; ++p) out[(z * M + i) * N + j] += av[(z * M + i) * K + p] * bv[(z * K + p) * N + j];
  return out;
}

void expect_message_has(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

// ---- matmul ----------------------------------------------------------------

TEST(Matmul, ForwardMatchesNaiveLoop) {
  Generator gen(1);
  Tensor a = Tensor::randn({2, 3, 5, 7}, gen), b = Tensor::randn({2, 3, 7, 4}, gen);
  Tensor c = ops::matmul(a, b);
  EXPECT_EQ(c.shape(), (Shape{2, 3, 5, 4}));
  EXPECT_TRUE(c.is_contiguous());
  std::vector<double> ref = naive_matmul(a, b);
  std::vector<float> got = c.to_float_vector();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-4);
  // Same values through transposed views (passed to BLAS as transposes) and a broadcast b.
  Tensor at = a.transpose(-1, -2).contiguous().transpose(-1, -2);
  Tensor bt = b.transpose(-1, -2).contiguous().transpose(-1, -2);
  EXPECT_FALSE(at.is_contiguous());
  std::vector<float> got_t = ops::matmul(at, bt).to_float_vector();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got_t[i], ref[i], 1e-4);
}

TEST(Matmul, BroadcastBatchAndCollapsedSingleGemm) {
  Generator gen(2);
  Tensor x = Tensor::randn({2, 3, 4}, gen, DType::f64), w = Tensor::randn({4, 5}, gen, DType::f64);
  Tensor y = ops::matmul(x, w);  // (B, T, C) @ (C, N): one GEMM
  EXPECT_EQ(y.shape(), (Shape{2, 3, 5}));
  std::vector<double> ref = naive_matmul(x, w.expand({2, 4, 5}).contiguous());
  std::vector<double> got = y.to_double_vector();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-12);
  Tensor a = Tensor::randn({2, 1, 3, 4}, gen, DType::f64), b = Tensor::randn({3, 4, 2}, gen, DType::f64);
  Tensor c = ops::matmul(a, b);
  EXPECT_EQ(c.shape(), (Shape{2, 3, 3, 2}));
  std::vector<double> ref2 = naive_matmul(a.expand({2, 3, 3, 4}).contiguous(), b.expand({2, 3, 4, 2}).contiguous());
  std::vector<double> got2 = c.to_double_vector();
  for (size_t i = 0; i < ref2.size(); ++i) EXPECT_NEAR(got2[i], ref2[i], 1e-12);
}

TEST(Matmul, Gradcheck2d) {
  expect_gradients_match([](const V& in) { return ops::matmul(in[0], in[1]); },
                         {random_input({3, 4}, 1), random_input({4, 5}, 2)});
}

TEST(Matmul, GradcheckBatched) {
  expect_gradients_match([](const V& in) { return ops::matmul(in[0], in[1]); },
                         {random_input({2, 3, 4}, 3), random_input({2, 4, 2}, 4)});
}

TEST(Matmul, GradcheckBroadcastBatch) {
  auto f = [](const V& in) { return ops::matmul(in[0], in[1]); };
  expect_gradients_match(f, {random_input({2, 1, 3, 4}, 5), random_input({3, 4, 2}, 6)});
  expect_gradients_match(f, {random_input({2, 3, 4}, 7), random_input({4, 2}, 8)});  // b 2-D: flat gb
  expect_gradients_match(f, {random_input({3, 4}, 9), random_input({2, 4, 2}, 10)});  // a 2-D
  expect_gradients_match(f, {random_input({1, 3, 4}, 11), random_input({2, 4, 2}, 12)});
}

TEST(Matmul, GradcheckTransposedAndNonContiguousOperands) {
  // Leaves transposed inside the op: BLAS gets transpose flags, no copies.
  expect_gradients_match([](const V& in) { return ops::matmul(in[0].transpose(0, 1), in[1].transpose(0, 1)); },
                         {random_input({4, 3}, 13), random_input({5, 4}, 14)});
  expect_gradients_match([](const V& in) { return ops::matmul(in[0].transpose(-1, -2), in[1]); },
                         {random_input({2, 4, 3}, 15), random_input({4, 2}, 16)});
  // Row stride larger than the row (narrow), and a permuted batch.
  expect_gradients_match([](const V& in) { return ops::matmul(in[0].narrow(1, 1, 4), in[1].permute({1, 0, 2})); },
                         {random_input({3, 6}, 17), random_input({4, 2, 3}, 18)});
  // Layouts BLAS cannot take (expanded columns, stride-0 batch): copied.
  expect_gradients_match(
      [](const V& in) { return ops::matmul(in[0].expand({3, 4}), in[1].expand({2, 4, 2})); },
      {random_input({3, 1}, 19), random_input({1, 4, 2}, 20)});
}

TEST(Matmul, Bf16MatchesF32WithinBf16Tolerance) {
  Generator gen(3);
  Tensor a = Tensor::randn({2, 17, 64}, gen), b = Tensor::randn({64, 33}, gen);
  // Compare against f32 on the same (bf16-representable) values.
  a = a.to(DType::bf16).to(DType::f32);
  b = b.to(DType::bf16).to(DType::f32);
  std::vector<float> ref = ops::matmul(a, b).to_float_vector();
  Tensor c = ops::matmul(a.to(DType::bf16), b.to(DType::bf16).transpose(0, 1).contiguous().transpose(0, 1));
  EXPECT_EQ(c.dtype(), DType::bf16);
  std::vector<float> got = c.to_float_vector();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], std::abs(ref[i]) / 256 + 1e-6) << i;
  Tensor ch = ops::matmul(a.to(DType::f16), b.to(DType::f16));
  std::vector<float> goth = ch.to_float_vector();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(goth[i], ref[i], std::abs(ref[i]) / 1024 + 1e-3) << i;
}

TEST(Matmul, Bf16Backward) {
  Generator gen(4);
  Tensor a = Tensor::randn({2, 3, 8}, gen, DType::bf16).set_requires_grad(true);
  Tensor b = Tensor::randn({8, 5}, gen, DType::bf16).set_requires_grad(true);
  ops::sum(ops::matmul(a, b)).backward();
  ASSERT_TRUE(a.grad().defined() && b.grad().defined());
  EXPECT_EQ(a.grad().dtype(), DType::bf16);
  EXPECT_EQ(b.grad().shape(), (Shape{8, 5}));
  // d/da sum(a @ b) = row sums of b, broadcast over (B, M).
  std::vector<float> bv = b.to_float_vector(), ga = a.grad().to_float_vector();
  for (int64_t k = 0; k < 8; ++k) {
    float rs = 0;
    for (int64_t n = 0; n < 5; ++n) rs += bv[k * 5 + n];
    EXPECT_NEAR(ga[k], rs, std::abs(rs) / 128 + 1e-2);
  }
}

TEST(Matmul, ErrorsNameShapes) {
  Tensor a = Tensor::zeros({2, 3, 4}), b = Tensor::zeros({5, 6});
  expect_message_has([&] { ops::matmul(a, b); }, {"matmul", "(2, 3, 4)", "(5, 6)"});
  expect_message_has([&] { ops::matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({3, 4, 2})); },
                     {"broadcast", "(2, 3, 4)", "(3, 4, 2)"});
  expect_message_has([&] { ops::matmul(Tensor::zeros({4}), Tensor::zeros({4, 2})); }, {"at least 2 dims", "(4)"});
  expect_message_has([&] { ops::matmul(Tensor::zeros({2, 4}), Tensor::zeros({4, 2}, DType::f64)); },
                     {"dtypes", "f32", "f64"});
}

// ---- linear ----------------------------------------------------------------

TEST(Linear, ForwardEqualsMatmulPlusBias) {
  Generator gen(5);
  Tensor x = Tensor::randn({2, 3, 4}, gen, DType::f64), w = Tensor::randn({5, 4}, gen, DType::f64);
  Tensor bias = Tensor::randn({5}, gen, DType::f64);
  Tensor y = ops::linear(x, w, bias);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 5}));
  std::vector<double> xv = x.to_double_vector(), wv = w.to_double_vector(), bv = bias.to_double_vector();
  std::vector<double> got = y.to_double_vector();
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t o = 0; o < 5; ++o) {
      double ref = bv[o];
      for (int64_t i = 0; i < 4; ++i) ref += xv[r * 4 + i] * wv[o * 4 + i];
      EXPECT_NEAR(got[r * 5 + o], ref, 1e-12);
    }
  std::vector<double> nob = ops::linear(x, w).to_double_vector();
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t o = 0; o < 5; ++o) EXPECT_NEAR(nob[r * 5 + o], got[r * 5 + o] - bv[o], 1e-12);
}

TEST(Linear, GradcheckWithAndWithoutBias) {
  expect_gradients_match([](const V& in) { return ops::linear(in[0], in[1], in[2]); },
                         {random_input({5, 4}, 21), random_input({3, 4}, 22), random_input({3}, 23)});
  expect_gradients_match([](const V& in) { return ops::linear(in[0], in[1]); },
                         {random_input({5, 4}, 24), random_input({3, 4}, 25)});
}

TEST(Linear, Gradcheck3dAndNonContiguousInputs) {
  expect_gradients_match([](const V& in) { return ops::linear(in[0], in[1], in[2]); },
                         {random_input({2, 3, 4}, 26), random_input({3, 4}, 27), random_input({3}, 28)});
  // Transposed 2-D input and a transposed (in, out) weight; a permuted 3-D input (copied).
  expect_gradients_match(
      [](const V& in) { return ops::linear(in[0].transpose(0, 1), in[1].transpose(0, 1), in[2]); },
      {random_input({4, 5}, 29), random_input({4, 3}, 30), random_input({3}, 31)});
  expect_gradients_match([](const V& in) { return ops::linear(in[0].permute({1, 0, 2}), in[1]); },
                         {random_input({3, 2, 4}, 32), random_input({3, 4}, 33)});
}

TEST(Linear, OnlySomeInputsNeedGrad) {
  Tensor x = random_input({2, 3, 4}, 34).detach(), w = random_input({5, 4}, 35), b = random_input({5}, 36);
  ops::sum(ops::linear(x, w, b)).backward();
  ASSERT_TRUE(w.grad().defined() && b.grad().defined());
  std::vector<double> gb = b.grad().to_double_vector();
  for (double v : gb) EXPECT_NEAR(v, 6.0, 1e-12);  // column sums of ones over B*T = 6 rows
}

TEST(Linear, ErrorsNameShapes) {
  expect_message_has([] { ops::linear(Tensor::zeros({2, 3, 4}), Tensor::zeros({5, 6})); },
                     {"linear", "(2, 3, 4)", "(5, 6)"});
  expect_message_has([] { ops::linear(Tensor::zeros({2, 4}), Tensor::zeros({5, 4}), Tensor::zeros({4})); },
                     {"bias", "(4)", "(5, 4)"});
}

// ---- embedding -------------------------------------------------------------

TEST(Embedding, GathersRowsForAnyIdShape) {
  Tensor w = Tensor::arange(12, DType::f32).reshape({4, 3});
  for (DType id_dtype : {DType::i32, DType::i64}) {
    Tensor ids = Tensor::from_vector(std::vector<int64_t>{3, 0, 3, 1}, {2, 2}, id_dtype);
    Tensor out = ops::embedding(ids, w);
    EXPECT_EQ(out.shape(), (Shape{2, 2, 3}));
    EXPECT_EQ(out.to_float_vector(), (std::vector<float>{9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5}));
  }
}

TEST(Embedding, GradcheckWithRepeatedIds) {
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 4, 1, 0, 1, 2}, {2, 3});
  expect_gradients_match([ids](const V& in) { return ops::embedding(ids, in[0]); }, {random_input({6, 3}, 37)});
  Tensor ids32 = Tensor::from_vector(std::vector<int64_t>{2, 2, 2, 0}, {4}, DType::i32);
  // Non-contiguous weight view (transposed leaf).
  expect_gradients_match([ids32](const V& in) { return ops::embedding(ids32, in[0].transpose(0, 1)); },
                         {random_input({3, 5}, 38)});
}

TEST(Embedding, BackwardSumsRepeatsAndZerosUnusedRows) {
  Tensor w = Tensor::zeros({5, 2}).set_requires_grad(true);
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{3, 3, 1, 3}, {4});
  ops::sum(ops::embedding(ids, w)).backward();
  EXPECT_EQ(w.grad().to_float_vector(), (std::vector<float>{0, 0, 1, 1, 0, 0, 3, 3, 0, 0}));
}

TEST(Embedding, OutOfRangeIdNamesValueAndPosition) {
  Tensor w = Tensor::zeros({10, 4});
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 2, 3, 4, 12, 5}, {2, 3});
  expect_message_has([&] { ops::embedding(ids, w); }, {"embedding", "12", "position 4", "(1, 1)", "10"});
  Tensor neg = Tensor::from_vector(std::vector<int64_t>{-1}, {1}, DType::i32);
  expect_message_has([&] { ops::embedding(neg, w); }, {"-1", "position 0"});
  expect_message_has([&] { ops::embedding(Tensor::zeros({3}), w); }, {"i32 or i64"});
}

}  // namespace
}  // namespace forge
