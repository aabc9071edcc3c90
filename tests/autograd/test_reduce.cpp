// Reductions, sum_to, concat and split: values (incl. strided and long-row
// accuracy, bf16), fp64 finite-difference gradients, and error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "autograd/ops.h"
#include "common/philox.h"
#include "tests/autograd/gradcheck.h"

namespace forge {
namespace {

using testing::expect_gradients_match;
using testing::random_input;

// Reference sum of a contiguous (A, B, C) tensor's values over the dims in `red`.
std::vector<double> ref_sum3(const std::vector<double>& v, int64_t A, int64_t B, int64_t C, bool ra, bool rb, bool rc) {
  const int64_t oa = ra ? 1 : A, ob = rb ? 1 : B, oc = rc ? 1 : C;
  std::vector<double> out(static_cast<size_t>(oa * ob * oc), 0.0);
  for (int64_t a = 0; a < A; ++a)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t c = 0; c < C; ++c)
        out[((ra ? 0 : a) * ob + (rb ? 0 : b)) * oc + (rc ? 0 : c)] += v[(a * B + b) * C + c];
  return out;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
}

TEST(Reduce, SumOverEveryDimSubset) {
  Generator gen(1);
  for (Shape s : {Shape{3, 4, 5}, Shape{2, 300, 130}, Shape{1, 7, 1}}) {
    Tensor x = Tensor::randn(s, gen, DType::f64);
    std::vector<double> v = x.to_double_vector();
    for (int mask = 0; mask < 8; ++mask) {
      std::vector<int64_t> dims;
      for (int d = 0; d < 3; ++d)
        if (mask & (1 << d)) dims.push_back(d);
      if (dims.empty()) dims = {0, 1, 2};
      const bool ra = std::find(dims.begin(), dims.end(), 0) != dims.end();
      const bool rb = std::find(dims.begin(), dims.end(), 1) != dims.end();
      const bool rc = std::find(dims.begin(), dims.end(), 2) != dims.end();
      std::vector<double> want = ref_sum3(v, s[0], s[1], s[2], ra, rb, rc);
      Tensor y = ops::sum(x, dims, true);
      expect_near(y.to_double_vector(), want, 1e-12);
      // Same through f32 and a permuted (non-contiguous) view of the same values.
      expect_near(ops::sum(x.to(DType::f32), dims, true).to_double_vector(), want, 1e-4);
      Tensor xp = x.permute({2, 0, 1}).contiguous().permute({1, 2, 0});  // same logical values, strided
      expect_near(ops::sum(xp, dims, true).to_double_vector(), want, 1e-12);
    }
  }
}

TEST(Reduce, KeepdimShapesAndMean) {
  Tensor x = Tensor::arange(24, DType::f32).reshape({2, 3, 4});
  EXPECT_EQ(ops::sum(x, {1}).shape(), (Shape{2, 4}));
  EXPECT_EQ(ops::sum(x, {-1}, true).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(ops::sum(x).shape(), (Shape{}));
  EXPECT_EQ(ops::sum(x).item(), 276.0);
  EXPECT_EQ(ops::mean(x).item(), 11.5);
  EXPECT_EQ(ops::mean(x, {0, 2}).to_float_vector(), (std::vector<float>{7.5f, 11.5f, 15.5f}));
  Tensor b = Tensor::ones({5, 3}, DType::bf16);
  EXPECT_EQ(ops::sum(b, {0}).dtype(), DType::bf16);
  EXPECT_EQ(ops::sum(b, {0}).to_float_vector(), (std::vector<float>{5.0f, 5.0f, 5.0f}));
}

TEST(Reduce, LongRowsStayAccurateInFloat) {
  // 2^21 copies of 0.1f: naive float accumulation drifts by percent; blocked summation does not.
  const int64_t n = int64_t{1} << 21;
  Tensor x = Tensor::full({n}, 0.1, DType::f32);
  const double want = static_cast<double>(0.1f) * static_cast<double>(n);
  EXPECT_NEAR(ops::sum(x).item(), want, want * 1e-5);
  Tensor col = Tensor::full({n / 64, 64}, 0.1, DType::f32);  // column sums (the bias-gradient pattern)
  for (float v : ops::sum(col, {0}).to_float_vector()) EXPECT_NEAR(v, want / 64, want / 64 * 1e-5);
  Tensor bf = Tensor::full({8192}, 1.0, DType::bf16);
  EXPECT_EQ(ops::sum(bf).item(), 8192.0);  // fp32 accumulation, exact result representable
}

TEST(Reduce, MaxWithIndicesFirstMaximum) {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 5, 5, 2, 7, 0, 7, 3}, {2, 4});
  auto [v1, i1] = ops::max_with_indices(x, 1);
  EXPECT_EQ(v1.to_double_vector(), (std::vector<double>{5, 7}));
  EXPECT_EQ(i1.to_int_vector(), (std::vector<int64_t>{1, 0}));
  auto [v0, i0] = ops::max_with_indices(x, 0, true);
  EXPECT_EQ(v0.shape(), (Shape{1, 4}));
  EXPECT_EQ(v0.to_double_vector(), (std::vector<double>{7, 5, 7, 3}));
  EXPECT_EQ(i0.to_int_vector(), (std::vector<int64_t>{1, 0, 1, 1}));
  EXPECT_EQ(ops::max(x.transpose(0, 1), 0).to_double_vector(), (std::vector<double>{5, 7}));
  EXPECT_EQ(ops::max(x.to(DType::bf16), -1).to_float_vector(), (std::vector<float>{5, 7}));
}

TEST(Reduce, SumToAndConcatSplitValues) {
  Tensor g = Tensor::ones({2, 3, 4}, DType::f64);
  EXPECT_EQ(ops::sum_to(g, {3, 1}).to_double_vector(), (std::vector<double>{8, 8, 8}));
  EXPECT_EQ(ops::sum_to(g, {4}).to_double_vector(), (std::vector<double>{6, 6, 6, 6}));
  EXPECT_EQ(ops::sum_to(Tensor::ones({1, 3}), {3}).shape(), (Shape{3}));
  Tensor a = Tensor::arange(6, DType::f32).reshape({2, 3});
  Tensor b = Tensor::full({2, 1}, -1.0);
  Tensor c = ops::concat({a, b, a.narrow(1, 0, 2)}, 1);
  EXPECT_EQ(c.shape(), (Shape{2, 6}));
  EXPECT_EQ(c.to_float_vector(), (std::vector<float>{0, 1, 2, -1, 0, 1, 3, 4, 5, -1, 3, 4}));
  std::vector<Tensor> parts = ops::split(c, {3, 1, 2}, -1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(parts[0].shares_storage(c));
  EXPECT_EQ(parts[0].to_float_vector(), a.to_float_vector());
  EXPECT_EQ(parts[2].to_float_vector(), (std::vector<float>{0, 1, 3, 4}));
  EXPECT_EQ(ops::concat({a, a}, 0).shape(), (Shape{4, 3}));
}

TEST(Reduce, ErrorsNameOpAndShapes) {
  try {
    ops::concat({Tensor::zeros({2, 3}), Tensor::zeros({3, 3})}, 1);
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("concat"), std::string::npos) << m;
    EXPECT_NE(m.find("(3, 3)"), std::string::npos) << m;
    EXPECT_NE(m.find("(2, 3)"), std::string::npos) << m;
  }
  try {
    ops::sum_to(Tensor::zeros({2, 3}), {4, 3});
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("sum_to"), std::string::npos) << m;
    EXPECT_NE(m.find("(2, 3)"), std::string::npos) << m;
    EXPECT_NE(m.find("(4, 3)"), std::string::npos) << m;
  }
  EXPECT_THROW(ops::sum(Tensor::zeros({2, 3}), {2}), Error);
  EXPECT_THROW(ops::sum(Tensor::zeros({2, 3}), {1, -1}), Error);
  EXPECT_THROW(ops::split(Tensor::zeros({5}), {2, 2}, 0), Error);
  EXPECT_THROW(ops::concat({Tensor::zeros({2}), Tensor::zeros({2}, DType::f64)}, 0), Error);
  EXPECT_THROW(ops::max(Tensor::zeros({2, 0}), 1), Error);
}

// ---- gradients ---------------------------------------------------------------------

TEST(ReduceGrad, SumAndMean) {
  for (bool keep : {false, true}) {
    expect_gradients_match([keep](const std::vector<Tensor>& in) { return ops::sum(in[0], {1}, keep); },
                           {random_input({2, 3, 4}, 1)});
    expect_gradients_match([keep](const std::vector<Tensor>& in) { return ops::mean(in[0], {0, 2}, keep); },
                           {random_input({2, 3, 4}, 2)});
  }
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::sum(in[0].transpose(0, 2)); },
                         {random_input({2, 3, 4}, 3)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::mean(in[0].transpose(0, 1), {-1}); },
                         {random_input({3, 5}, 4)});
}

TEST(ReduceGrad, MaxAndSumTo) {
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::max(in[0], 1); }, {random_input({3, 5}, 5)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::max(in[0].transpose(0, 1), 0, true); },
                         {random_input({4, 3}, 6)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::sum_to(in[0], {3, 1}); },
                         {random_input({2, 3, 4}, 7)});
  // Ties: the whole gradient goes to the first maximum.
  Tensor x = Tensor::from_vector(std::vector<double>{2, 2, 1}, {3});
  x.set_requires_grad(true);
  ops::max(x, 0).backward();
  EXPECT_EQ(x.grad().to_double_vector(), (std::vector<double>{1, 0, 0}));
}

TEST(ReduceGrad, ConcatAndSplit) {
  expect_gradients_match(
      [](const std::vector<Tensor>& in) { return ops::concat({in[0], in[1].transpose(0, 1), in[0]}, 1); },
      {random_input({3, 2}, 8), random_input({4, 3}, 9)});
  expect_gradients_match(
      [](const std::vector<Tensor>& in) {
        std::vector<Tensor> p = ops::split(in[0], {1, 3, 2}, 1);
        return ops::add(ops::mul(p[0], p[2].narrow(1, 0, 1)), p[1].narrow(1, 1, 1));  // p[1] partly unused
      },
      {random_input({2, 6}, 10)});
  // Only one piece used: the others get zeros.
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::split(in[0], {2, 2}, 0)[1]; },
                         {random_input({4, 3}, 11)});
}

}  // namespace
}  // namespace forge
