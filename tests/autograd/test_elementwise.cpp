// Elementwise ops: values against hand-computed results (broadcast, strided,
// bf16), fp64 finite-difference gradients (broadcast and non-contiguous inputs),
// in-place updates on views, and error messages naming the op and shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "common/philox.h"
#include "tests/autograd/gradcheck.h"

namespace forge {
namespace {

using testing::expect_gradients_match;
using testing::random_input;

std::vector<double> vals(const Tensor& t) { return t.to_double_vector(); }

// Reference: applies f elementwise over NumPy-broadcast a and b (both contiguous-read through to_double_vector).
std::vector<double> ref_binary(const Tensor& a, const Tensor& b, const Shape& out, double (*f)(double, double)) {
  std::vector<double> va = vals(a), vb = vals(b), r(static_cast<size_t>(shape_numel(out)));
  const size_t n = out.size();
  for (int64_t i = 0; i < shape_numel(out); ++i) {
    int64_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (int64_t d = static_cast<int64_t>(n) - 1; d >= 0; --d) {
      const int64_t idx = rem % out[d];
      rem /= out[d];
      const int64_t da = d - static_cast<int64_t>(n - a.shape().size());
      const int64_t db = d - static_cast<int64_t>(n - b.shape().size());
      if (da >= 0) {
        ia += (a.shape()[da] == 1 ? 0 : idx) * sa;
        sa *= a.shape()[da];
      }
      if (db >= 0) {
        ib += (b.shape()[db] == 1 ? 0 : idx) * sb;
        sb *= b.shape()[db];
      }
    }
    r[i] = f(va[ia], vb[ib]);
  }
  return r;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
}

TEST(Elementwise, BinaryBroadcastMatchesReference) {
  Generator gen(1);
  struct Case { Shape a, b, out; };
  const std::vector<Case> cases = {
      {{2, 3}, {2, 3}, {2, 3}},          {{4, 5}, {5}, {4, 5}},        {{4, 1}, {1, 5}, {4, 5}},
      {{3, 1, 4}, {2, 1}, {3, 2, 4}},    {{}, {3, 2}, {3, 2}},         {{300, 257}, {257}, {300, 257}},
      {{64, 257}, {64, 1}, {64, 257}}, {{70000}, {70000}, {70000}}};
  for (const Case& c : cases) {
    for (DType dt : {DType::f32, DType::f64}) {
      Tensor a = Tensor::randn(c.a, gen, dt), b = Tensor::uniform(c.b, gen, dt, 0.5, 2.0);
      expect_near(vals(ops::add(a, b)), ref_binary(a, b, c.out, [](double x, double y) { return x + y; }), 1e-6);
      expect_near(vals(ops::sub(a, b)), ref_binary(a, b, c.out, [](double x, double y) { return x - y; }), 1e-6);
      expect_near(vals(ops::mul(a, b)), ref_binary(a, b, c.out, [](double x, double y) { return x * y; }), 1e-6);
      expect_near(vals(ops::div(a, b)), ref_binary(a, b, c.out, [](double x, double y) { return x / y; }), 1e-6);
      expect_near(vals(ops::pow(b, a)), ref_binary(b, a, c.out, [](double x, double y) { return std::pow(x, y); }),
                  1e-5);
      EXPECT_EQ(ops::add(a, b).shape(), c.out);
    }
  }
}

TEST(Elementwise, StridedInputsAndBf16) {
  Generator gen(2);
  Tensor base = Tensor::randn({6, 8}, gen);
  Tensor at = base.transpose(0, 1);            // (8, 6), non-contiguous
  Tensor an = base.narrow(1, 2, 5);            // (6, 5), gaps between rows
  Tensor b = Tensor::randn({8, 6}, gen);
  expect_near(vals(ops::add(at, b)), ref_binary(at.contiguous(), b, {8, 6}, [](double x, double y) { return x + y; }),
              1e-6);
  Tensor c = Tensor::randn({5}, gen);
  expect_near(vals(ops::mul(an, c)), ref_binary(an.contiguous(), c, {6, 5}, [](double x, double y) { return x * y; }),
              1e-6);
  Tensor a16 = Tensor::from_vector(std::vector<float>{1.5f, -2.0f, 3.0f}, {3}, DType::bf16);
  Tensor b16 = Tensor::from_vector(std::vector<float>{0.5f, 4.0f, -1.0f}, {3}, DType::bf16);
  Tensor s = ops::add(a16, b16);
  EXPECT_EQ(s.dtype(), DType::bf16);
  EXPECT_EQ(s.to_float_vector(), (std::vector<float>{2.0f, 2.0f, 2.0f}));
  EXPECT_EQ(ops::exp(Tensor::zeros({2}, DType::bf16)).to_float_vector(), (std::vector<float>{1.0f, 1.0f}));
  Tensor i = ops::add(Tensor::arange(4), Tensor::arange(4));
  EXPECT_EQ(i.dtype(), DType::i64);
  EXPECT_EQ(i.to_int_vector(), (std::vector<int64_t>{0, 2, 4, 6}));
}

TEST(Elementwise, UnaryAndScalarValues) {
  Tensor x = Tensor::from_vector(std::vector<double>{0.25, 1.0, 4.0}, {3});
  expect_near(vals(ops::exp(x)), {std::exp(0.25), std::exp(1.0), std::exp(4.0)}, 1e-12);
  expect_near(vals(ops::log(x)), {std::log(0.25), 0.0, std::log(4.0)}, 1e-12);
  expect_near(vals(ops::sqrt(x)), {0.5, 1.0, 2.0}, 1e-12);
  expect_near(vals(ops::rsqrt(x)), {2.0, 1.0, 0.5}, 1e-12);
  expect_near(vals(ops::tanh(x)), {std::tanh(0.25), std::tanh(1.0), std::tanh(4.0)}, 1e-12);
  expect_near(vals(ops::neg(x)), {-0.25, -1.0, -4.0}, 1e-12);
  expect_near(vals(x + 1.0), {1.25, 2.0, 5.0}, 1e-12);
  expect_near(vals(2.0 * x), {0.5, 2.0, 8.0}, 1e-12);
  expect_near(vals(ops::rsub_scalar(x, 1.0)), {0.75, 0.0, -3.0}, 1e-12);
  expect_near(vals(ops::pow_scalar(x, 1.5)), {0.125, 1.0, 8.0}, 1e-12);
  expect_near(vals(ops::pow_scalar(x, 2.0)), {0.0625, 1.0, 16.0}, 1e-12);
}

TEST(Elementwise, Float32ExpMatchesStdExpOverItsRange) {
  std::vector<float> xs;
  for (double v = -110.0; v <= 90.0; v += 0.0137) xs.push_back(static_cast<float>(v));
  const float inf = std::numeric_limits<float>::infinity();
  xs.insert(xs.end(), {0.0f, -0.0f, 1e-30f, -1e-30f, 88.72f, 88.73f, -87.3f, -103.0f, inf, -inf});
  Tensor x = Tensor::from_vector(xs, {static_cast<int64_t>(xs.size())});
  std::vector<float> y = ops::exp(x).to_float_vector();
  for (size_t i = 0; i < xs.size(); ++i) {
    const float want = std::exp(xs[i]);
    if (std::isinf(want) || want == 0.0f) {
      EXPECT_EQ(y[i], want) << "exp(" << xs[i] << ")";
    } else if (want < std::numeric_limits<float>::min()) {
      EXPECT_NEAR(y[i], want, 2 * std::numeric_limits<float>::denorm_min()) << "exp(" << xs[i] << ")";
    } else {
      EXPECT_NEAR(y[i], want, 4e-7f * want) << "exp(" << xs[i] << ")";
    }
  }
  EXPECT_TRUE(std::isnan(ops::exp(Tensor::full({1}, std::nan(""))).item()));
  // Strided and bf16 inputs take the same 8-lane path.
  Tensor m = Tensor::from_vector(std::vector<float>(xs.begin(), xs.begin() + 1000), {40, 25});
  std::vector<float> mt = ops::exp(m.transpose(0, 1)).to_float_vector(), want = ops::exp(m.transpose(0, 1).contiguous()).to_float_vector();
  EXPECT_EQ(mt, want);
  EXPECT_NEAR(ops::exp(Tensor::full({3}, 1.0, DType::bf16)).to_float_vector()[2], 2.71875f, 1e-6f);
}

TEST(Elementwise, WhereAndMaskedFill) {
  Tensor cond = Tensor::from_vector(std::vector<int64_t>{1, 0, 1}, {3}, DType::u8);
  Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<double>{-1, -2}, {2, 1});
  EXPECT_EQ(vals(ops::where(cond, a, b)), (std::vector<double>{1, -1, 3, 4, -2, 6}));
  Tensor mask = Tensor::from_vector(std::vector<int64_t>{0, 1}, {2, 1}, DType::u8);
  EXPECT_EQ(vals(ops::masked_fill(a, mask, -9.0)), (std::vector<double>{1, 2, 3, -9, -9, -9}));
  EXPECT_EQ(vals(ops::masked_fill(a.transpose(0, 1), cond.view({3, 1}), 0.0)),
            (std::vector<double>{0, 0, 2, 5, 0, 0}));
}

TEST(Elementwise, InPlaceOnViews) {
  Tensor a = Tensor::zeros({3, 4}, DType::f64);
  Tensor col = a.narrow(1, 1, 2);  // (3, 2) strided view
  ops::fill_(col, 2.0);
  Tensor row = Tensor::from_vector(std::vector<double>{1, 10}, {2});
  ops::add_(col, row, 0.5);
  ops::mul_scalar_(col, 2.0);
  EXPECT_EQ(vals(a), (std::vector<double>{0, 5, 14, 0, 0, 5, 14, 0, 0, 5, 14, 0}));
  Tensor at = a.transpose(0, 1);  // add_ into a transposed view
  ops::add_(at, Tensor::ones({4, 3}, DType::f64));
  EXPECT_EQ(vals(a)[0], 1.0);
  EXPECT_EQ(vals(a)[1], 6.0);
  // Mixed dtype source is converted.
  Tensor f = Tensor::zeros({2});
  ops::add_(f, Tensor::ones({2}, DType::bf16));
  EXPECT_EQ(f.to_float_vector(), (std::vector<float>{1.0f, 1.0f}));
  EXPECT_THROW(ops::add_(f, Tensor::ones({3})), Error);
}

TEST(Elementwise, ErrorsNameOpAndShapes) {
  try {
    ops::add(Tensor::zeros({2, 3}), Tensor::zeros({4, 3}));
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("add"), std::string::npos) << m;
    EXPECT_NE(m.find("(2, 3)"), std::string::npos) << m;
    EXPECT_NE(m.find("(4, 3)"), std::string::npos) << m;
  }
  try {
    ops::mul(Tensor::zeros({2}), Tensor::zeros({2}, DType::f64));
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("mul"), std::string::npos) << m;
    EXPECT_NE(m.find("f32"), std::string::npos) << m;
    EXPECT_NE(m.find("f64"), std::string::npos) << m;
  }
  EXPECT_THROW(ops::where(Tensor::zeros({2}), Tensor::zeros({2}), Tensor::zeros({2})), Error);
  EXPECT_THROW(ops::masked_fill(Tensor::zeros({2}), Tensor::zeros({3}, DType::u8), 0.0), Error);
  EXPECT_THROW(ops::exp(Tensor::arange(3)), Error);
}

// ---- gradients (fp64 finite differences) --------------------------------------

using Fn2 = Tensor (*)(const Tensor&, const Tensor&);

TEST(ElementwiseGrad, BinaryOpsBroadcastAndStrided) {
  const std::vector<std::pair<const char*, Fn2>> fns = {
      {"add", ops::add}, {"sub", ops::sub}, {"mul", ops::mul}, {"div", ops::div}};
  // (`fn = fn`: clang before 16 cannot capture a structured binding; the sanitizer build uses clang.)
  for (const auto& [name, fn] : fns) {
    SCOPED_TRACE(name);
    // Bias-like broadcast, with b kept away from zero for div.
    expect_gradients_match([fn = fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); },
                           {random_input({3, 4}, 1), random_input({4}, 2, 0.3, 2.0)});
    // Both sides broadcast, a transposed inside the function (non-contiguous).
    expect_gradients_match(
        [fn = fn](const std::vector<Tensor>& in) { return fn(in[0].transpose(0, 1), in[1]); },
        {random_input({4, 3}, 3), random_input({2, 1, 1}, 4, 0.3, 2.0)});
  }
}

TEST(ElementwiseGrad, PowBothInputs) {
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::pow(in[0], in[1]); },
                         {random_input({2, 3}, 5, 0.2, 1.5), random_input({3}, 6)});
}

TEST(ElementwiseGrad, UnaryAndScalar) {
  const auto pos = [](uint64_t seed) { return random_input({2, 3}, seed, 0.2, 1.5); };
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::exp(in[0]); }, {random_input({2, 3}, 7)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::log(in[0]); }, {pos(8)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::sqrt(in[0]); }, {pos(9)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::rsqrt(in[0].transpose(0, 1)); }, {pos(10)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::tanh(in[0]); }, {random_input({2, 3}, 11)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::neg(in[0]); }, {random_input({2, 3}, 12)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::add_scalar(in[0], 3.0); },
                         {random_input({2, 3}, 13)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::mul_scalar(in[0], -1.5); },
                         {random_input({2, 3}, 14)});
  expect_gradients_match([](const std::vector<Tensor>& in) { return ops::rsub_scalar(in[0], 2.0); },
                         {random_input({2, 3}, 15)});
  for (double p : {2.0, 3.0, 0.5, -1.5}) {
    expect_gradients_match([p](const std::vector<Tensor>& in) { return ops::pow_scalar(in[0], p); }, {pos(16)});
  }
}

TEST(ElementwiseGrad, WhereAndMaskedFill) {
  Tensor cond = Tensor::from_vector(std::vector<int64_t>{1, 0, 0, 1}, {4}, DType::u8);
  expect_gradients_match([cond](const std::vector<Tensor>& in) { return ops::where(cond, in[0], in[1]); },
                         {random_input({3, 4}, 17), random_input({3, 1}, 18)});
  Tensor mask = Tensor::from_vector(std::vector<int64_t>{0, 1, 1}, {3, 1}, DType::u8);
  expect_gradients_match(
      [mask](const std::vector<Tensor>& in) { return ops::masked_fill(in[0].transpose(0, 1), mask, 5.0); },
      {random_input({2, 3}, 19)});
}

TEST(ElementwiseGrad, NoGradRecordsNothing) {
  Tensor a = random_input({2}, 20);
  NoGradGuard guard;
  Tensor y = ops::mul(a, a);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
}

}  // namespace
}  // namespace forge
