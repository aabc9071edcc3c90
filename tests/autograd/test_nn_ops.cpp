// Fused nn ops, part 1: LayerNorm, RMSNorm, GELU, SiLU, SwiGLU, softmax,
// log-softmax and RoPE. fp64 finite-difference gradient checks on random
// shapes (with and without affine params, non-contiguous inputs), values
// against direct formulas, bf16 against an f32 reference, and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "autograd/ops.h"
#include "common/philox.h"
#include "kernels/cpu/vec_math.h"
#include "tests/autograd/gradcheck.h"
#include "tests/test_util.h"

namespace forge {
namespace {

using testing::expect_gradients_match;
using testing::random_input;
using testing::error_of;
using testing::expect_all_near;
using Ins = std::vector<Tensor>;

// A dimension in [lo, hi] drawn from gen.
int64_t rand_dim(Generator& gen, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(gen.next_uniform() * static_cast<double>(hi - lo + 1));
}

// The vectorisable float exp behind the activation, softmax and cross-entropy kernels.
TEST(NnOps, VecExpAccuracyAndSpecialValues) {
  double worst = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.01f) {
    const double ref = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(kernels::cpu::exp_f32(x) - ref) / ref);
  }
  EXPECT_LT(worst, 2.5e-7);
  EXPECT_EQ(kernels::cpu::exp_f32(-INFINITY), 0.0f);
  EXPECT_EQ(kernels::cpu::exp_f32(-100.0f), 0.0f);
  EXPECT_EQ(kernels::cpu::exp_f32(INFINITY), INFINITY);
  EXPECT_EQ(kernels::cpu::exp_f32(100.0f), INFINITY);
  EXPECT_TRUE(std::isnan(kernels::cpu::exp_f32(NAN)));
  EXPECT_EQ(kernels::cpu::exp_f32(0.0f), 1.0f);
}

// ---- LayerNorm / RMSNorm --------------------------------------------------------

TEST(NnOps, LayerNormGradcheck) {
  Generator shapes(11);
  for (int trial = 0; trial < 3; ++trial) {
    const int64_t R = rand_dim(shapes, 1, 4), S = rand_dim(shapes, 1, 3), C = rand_dim(shapes, 2, 7);
    const uint64_t s = 100 + trial * 10;
    Tensor x = random_input({R, S, C}, s), w = random_input({C}, s + 1, 0.5, 1.0), b = random_input({C}, s + 2);
    expect_gradients_match([](const Ins& in) { return ops::layer_norm(in[0], in[1], in[2]); }, {x, w, b});
    expect_gradients_match([](const Ins& in) { return ops::layer_norm(in[0], in[1], Tensor()); }, {x, w});
    expect_gradients_match([](const Ins& in) { return ops::layer_norm(in[0], Tensor(), in[1]); }, {x, b});
    expect_gradients_match([](const Ins& in) { return ops::layer_norm(in[0], Tensor(), Tensor(), 1e-3); }, {x});
  }
}

TEST(NnOps, LayerNormNonContiguousInputGradcheck) {
  // x stored as (C, R) and normalised over C after a transpose.
  Tensor xt = random_input({5, 3}, 21), w = random_input({5}, 22), b = random_input({5}, 23);
  expect_gradients_match([](const Ins& in) { return ops::layer_norm(in[0].transpose(0, 1), in[1], in[2]); },
                         {xt, w, b});
}

TEST(NnOps, LayerNormValues) {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, -1, 0, 0, 1}, {2, 4});
  Tensor w = Tensor::from_vector(std::vector<double>{1, 2, 1, 1}, {4});
  Tensor b = Tensor::from_vector(std::vector<double>{0, 0, 1, 0}, {4});
  std::vector<double> got = ops::layer_norm(x, w, b, 0.0).to_double_vector();
  std::vector<double> want;
  const double rows[2][4] = {{1, 2, 3, 4}, {-1, 0, 0, 1}};
  const double wv[4] = {1, 2, 1, 1}, bv[4] = {0, 0, 1, 0};
  for (auto& r : rows) {
    double m = (r[0] + r[1] + r[2] + r[3]) / 4, v = 0;
    for (double e : r) v += (e - m) * (e - m) / 4;
    for (int c = 0; c < 4; ++c) want.push_back((r[c] - m) / std::sqrt(v) * wv[c] + bv[c]);
  }
  expect_all_near(got, want, 1e-12, 1e-12, "layer_norm");
}

TEST(NnOps, RmsNormGradcheck) {
  Generator shapes(12);
  for (int trial = 0; trial < 3; ++trial) {
    const int64_t R = rand_dim(shapes, 1, 5), C = rand_dim(shapes, 1, 8);
    const uint64_t s = 200 + trial * 10;
    Tensor x = random_input({R, C}, s), w = random_input({C}, s + 1, 0.5, 1.0);
    expect_gradients_match([](const Ins& in) { return ops::rms_norm(in[0], in[1]); }, {x, w});
    expect_gradients_match([](const Ins& in) { return ops::rms_norm(in[0], Tensor(), 1e-4); }, {x});
  }
  Tensor xt = random_input({4, 2, 3}, 231), w = random_input({4}, 232);
  expect_gradients_match([](const Ins& in) { return ops::rms_norm(in[0].permute({1, 2, 0}), in[1]); }, {xt, w});
}

TEST(NnOps, RmsNormValues) {
  Tensor x = Tensor::from_vector(std::vector<double>{3, 4}, {1, 2});
  Tensor w = Tensor::from_vector(std::vector<double>{1, 2}, {2});
  const double rms = std::sqrt((9.0 + 16.0) / 2);
  expect_all_near(ops::rms_norm(x, w, 0.0).to_double_vector(), {3 / rms, 8 / rms}, 1e-12, 1e-12, "rms_norm");
}

TEST(NnOps, NormErrorsNameShapes) {
  Tensor x = Tensor::zeros({2, 4});
  std::string msg = error_of([&] { ops::layer_norm(x, Tensor::ones({3}), Tensor()); });
  EXPECT_NE(msg.find("layer_norm"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 4)"), std::string::npos) << msg;
  msg = error_of([&] { ops::layer_norm(x, Tensor(), Tensor::zeros({4, 1})); });
  EXPECT_NE(msg.find("bias"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(4, 1)"), std::string::npos) << msg;
  msg = error_of([&] { ops::rms_norm(x, Tensor::ones({5})); });
  EXPECT_NE(msg.find("rms_norm"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(5)"), std::string::npos) << msg;
  msg = error_of([&] { ops::rms_norm(x, Tensor::ones({4}, DType::f64)); });
  EXPECT_NE(msg.find("f64"), std::string::npos) << msg;
  EXPECT_THROW(ops::layer_norm(Tensor::zeros({2, 3}, DType::i64), Tensor(), Tensor()), Error);
}

TEST(NnOps, LayerNormBf16MatchesF32) {
  Generator gen(31);
  // Inputs rounded to bf16 first, so both paths see the same values.
  Tensor x = Tensor::randn({6, 96}, gen, DType::bf16, 0.5, 2.0);
  Tensor w = Tensor::randn({96}, gen, DType::bf16, 1.0, 0.2);
  Tensor b = Tensor::randn({96}, gen, DType::bf16);
  Tensor gy = Tensor::randn({6, 96}, gen, DType::bf16);
  auto run = [&](DType dt) {
    Tensor xl = x.to(dt).detach().set_requires_grad(true);
    Tensor wl = w.to(dt).detach().set_requires_grad(true);
    Tensor bl = b.to(dt).detach().set_requires_grad(true);
    Tensor y = ops::layer_norm(xl, wl, bl);
    EXPECT_EQ(y.dtype(), dt);
    y.backward(gy.to(dt));
    return std::vector<Tensor>{y, xl.grad(), wl.grad(), bl.grad()};
  };
  std::vector<Tensor> lo = run(DType::bf16), ref = run(DType::f32);
  const char* names[] = {"y", "dx", "dweight", "dbias"};
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(lo[i].defined()) << names[i];
    EXPECT_EQ(lo[i].dtype(), DType::bf16) << names[i];
    // dweight/dbias sum 6 rows: allow for the bf16 rounding of that sum.
    expect_all_near(lo[i].to_double_vector(), ref[i].to_double_vector(), 2e-2, 1.6e-2, names[i]);
  }
}

// ---- activations ----------------------------------------------------------------

TEST(NnOps, ActivationGradchecks) {
  Generator shapes(13);
  for (int trial = 0; trial < 2; ++trial) {
    const Shape shape{rand_dim(shapes, 1, 4), rand_dim(shapes, 1, 5)};
    const uint64_t s = 300 + trial * 10;
    Tensor x = random_input(shape, s, 2.0), u = random_input(shape, s + 1);
    expect_gradients_match([](const Ins& in) { return ops::gelu(in[0]); }, {x});
    expect_gradients_match([](const Ins& in) { return ops::silu(in[0]); }, {x});
    expect_gradients_match([](const Ins& in) { return ops::swiglu(in[0], in[1]); }, {x, u});
  }
  // Non-contiguous inputs (transposed leaves).
  Tensor xt = random_input({3, 4}, 330, 2.0), ut = random_input({3, 4}, 331);
  expect_gradients_match([](const Ins& in) { return ops::gelu(in[0].transpose(0, 1)); }, {xt});
  expect_gradients_match([](const Ins& in) { return ops::silu(in[0].transpose(0, 1)); }, {xt});
  expect_gradients_match([](const Ins& in) { return ops::swiglu(in[0].transpose(0, 1), in[1].transpose(0, 1)); },
                         {xt, ut});
  // Only one swiglu input needs a gradient.
  Tensor up_const = random_input({2, 3}, 332).detach();
  Tensor gate = random_input({2, 3}, 333);
  expect_gradients_match([up_const](const Ins& in) { return ops::swiglu(in[0], up_const); }, {gate});
}

TEST(NnOps, ActivationValues) {
  std::vector<double> xs{-3, -0.5, 0, 0.7, 2.5};
  Tensor x = Tensor::from_vector(xs, {5});
  Tensor u = Tensor::from_vector(std::vector<double>{1, 2, 3, -1, 0.5}, {5});
  std::vector<double> gelu_want, silu_want, swiglu_want;
  const double uv[5] = {1, 2, 3, -1, 0.5};
  for (size_t i = 0; i < xs.size(); ++i) {
    const double v = xs[i];
    gelu_want.push_back(0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))));
    silu_want.push_back(v / (1 + std::exp(-v)));
    swiglu_want.push_back(silu_want.back() * uv[i]);
  }
  expect_all_near(ops::gelu(x).to_double_vector(), gelu_want, 1e-14, 1e-13, "gelu");
  expect_all_near(ops::silu(x).to_double_vector(), silu_want, 1e-14, 1e-13, "silu");
  expect_all_near(ops::swiglu(x, u).to_double_vector(), swiglu_want, 1e-14, 1e-13, "swiglu");
}

TEST(NnOps, GeluBf16MatchesF32) {
  Generator gen(32);
  Tensor x = Tensor::randn({4, 300}, gen, DType::bf16, 0.0, 3.0);
  Tensor gy = Tensor::randn({4, 300}, gen, DType::bf16);
  auto run = [&](DType dt) {
    Tensor xl = x.to(dt).detach().set_requires_grad(true);
    Tensor y = ops::gelu(xl);
    y.backward(gy.to(dt));
    return std::vector<Tensor>{y, xl.grad()};
  };
  std::vector<Tensor> lo = run(DType::bf16), ref = run(DType::f32);
  expect_all_near(lo[0].to_double_vector(), ref[0].to_double_vector(), 1e-2, 8e-3, "gelu y");
  expect_all_near(lo[1].to_double_vector(), ref[1].to_double_vector(), 1e-2, 8e-3, "gelu dx");
}

TEST(NnOps, SwigluErrorsNameShapes) {
  std::string msg = error_of([] { ops::swiglu(Tensor::zeros({2, 3}), Tensor::zeros({3, 2})); });
  EXPECT_NE(msg.find("swiglu"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(3, 2)"), std::string::npos) << msg;
  EXPECT_THROW(ops::gelu(Tensor::zeros({2}, DType::i32)), Error);
}

// ---- softmax / log_softmax -------------------------------------------------------

TEST(NnOps, SoftmaxGradcheckEveryDim) {
  Tensor x = random_input({3, 4, 2}, 401, 2.0);
  for (int64_t dim : {-1, 0, 1, 2}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    expect_gradients_match([dim](const Ins& in) { return ops::softmax(in[0], dim); }, {x});
    expect_gradients_match([dim](const Ins& in) { return ops::log_softmax(in[0], dim); }, {x});
  }
  Tensor xt = random_input({5, 3}, 402);
  expect_gradients_match([](const Ins& in) { return ops::softmax(in[0].transpose(0, 1), -1); }, {xt});
  expect_gradients_match([](const Ins& in) { return ops::log_softmax(in[0].transpose(0, 1), 0); }, {xt});
}

TEST(NnOps, SoftmaxValues) {
  Generator gen(41);
  Tensor x = Tensor::randn({3, 5, 4}, gen, DType::f64, 0.0, 3.0);
  const std::vector<double> xv = x.to_double_vector();
  for (int64_t dim : {0, 1, 2}) {
    const Shape& sh = x.shape();
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < dim; ++i) outer *= sh[i];
    for (int64_t i = dim + 1; i < 3; ++i) inner *= sh[i];
    const int64_t n = sh[dim];
    std::vector<double> want(xv.size()), want_log(xv.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j) {
        double s = 0;
        for (int64_t k = 0; k < n; ++k) s += std::exp(xv[(o * n + k) * inner + j]);
        for (int64_t k = 0; k < n; ++k) {
          const int64_t i = (o * n + k) * inner + j;
          want[i] = std::exp(xv[i]) / s;
          want_log[i] = xv[i] - std::log(s);
        }
      }
    expect_all_near(ops::softmax(x, dim).to_double_vector(), want, 1e-14, 1e-12, "softmax");
    expect_all_near(ops::log_softmax(x, dim).to_double_vector(), want_log, 1e-13, 1e-12, "log_softmax");
  }
  // Large logits do not overflow.
  Tensor big = Tensor::from_vector(std::vector<float>{1000, 1000, 0}, {3});
  expect_all_near(ops::softmax(big).to_double_vector(), {0.5, 0.5, 0}, 1e-7, 0, "softmax big");
  EXPECT_THROW(ops::softmax(x, 3), Error);
}

// ---- RoPE -------------------------------------------------------------------------

TEST(NnOps, RopeGradcheck) {
  Tensor x = random_input({2, 2, 3, 4}, 501);
  Tensor pos_t = Tensor::from_vector(std::vector<int64_t>{0, 5, 2}, {3});
  Tensor pos_bt = Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 7, 0, 1}, {2, 3});
  expect_gradients_match([pos_t](const Ins& in) { return ops::rope(in[0], pos_t, 100.0); }, {x});
  expect_gradients_match([pos_bt](const Ins& in) { return ops::rope(in[0], pos_bt); }, {x});
  // The usual layout: (B, T, H, D) viewed as (B, H, T, D).
  Tensor xbthd = random_input({2, 3, 2, 6}, 502);
  expect_gradients_match([pos_t](const Ins& in) { return ops::rope(in[0].transpose(1, 2), pos_t, 50.0); }, {xbthd});
}

TEST(NnOps, RopeValuesMatchHuggingFaceConvention) {
  const int64_t D = 6;
  const double theta = 100.0;
  Generator gen(51);
  Tensor x = Tensor::randn({1, 2, 3, D}, gen, DType::f64);
  Tensor pos = Tensor::from_vector(std::vector<int64_t>{4, 0, 9}, {3});
  std::vector<double> xv = x.to_double_vector(), got = ops::rope(x, pos, theta).to_double_vector();
  const int64_t positions[3] = {4, 0, 9};
  std::vector<double> want(xv.size());
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t t = 0; t < 3; ++t) {
      const double* r = xv.data() + (h * 3 + t) * D;
      double* o = want.data() + (h * 3 + t) * D;
      for (int64_t i = 0; i < D / 2; ++i) {
        const double a = positions[t] * std::pow(theta, -2.0 * i / D);
        o[i] = r[i] * std::cos(a) - r[i + D / 2] * std::sin(a);
        o[i + D / 2] = r[i + D / 2] * std::cos(a) + r[i] * std::sin(a);
      }
    }
  expect_all_near(got, want, 1e-13, 1e-12, "rope");
}

TEST(NnOps, RopeErrors) {
  Tensor x = Tensor::zeros({1, 2, 3, 4});
  std::string msg = error_of([&] { ops::rope(x, Tensor::arange(4)); });
  EXPECT_NE(msg.find("rope"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(4)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(1, 2, 3, 4)"), std::string::npos) << msg;
  EXPECT_THROW(ops::rope(Tensor::zeros({1, 2, 3, 5}), Tensor::arange(3)), Error);
  EXPECT_THROW(ops::rope(Tensor::zeros({2, 3, 4}), Tensor::arange(2)), Error);
  EXPECT_THROW(ops::rope(x, Tensor::arange(3, DType::i32)), Error);
}

}  // namespace
}  // namespace forge
