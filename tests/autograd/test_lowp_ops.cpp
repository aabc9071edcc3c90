// Every differentiable op in bf16 and in f16 against the same op in fp32, on
// the same (16-bit representable) inputs and upstream gradient: forward values
// and every input gradient.
//
// Error measure: max |got - ref| / max |ref| over the tensor (a norm-wise
// relative error, so small entries next to large ones do not dominate),
// expressed in units of the format's unit roundoff u (bf16: 2^-8 = 3.9e-3,
// f16: 2^-11 = 4.9e-4). The kernels compute in fp32 and round their result
// once, so a forward is within 1 u of the fp32 op plus fp32 noise (measured:
// at most 0.82 u); we allow 2 u. A backward rounds its result once too but
// reads 16-bit saved values (an op's output, the rounded upstream gradient
// through a chain of primitives), so errors compound (measured: at most
// 1.4 u, softmax 2.3 u, whose gradient y * (dy - sum(dy * y)) uses the rounded
// output twice); we allow 4 u, and 6 u for softmax and log-softmax. Each op
// must also keep its dtype, except the loss, which is fp32 by policy
// (docs/mixed-precision.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "common/philox.h"

namespace forge {
namespace {

using Ins = std::vector<Tensor>;
using OpFn = std::function<Tensor(const Ins&)>;

struct InputSpec {
  Shape shape;
  double scale = 1.0, shift = 0.0;
};

struct OpCase {
  std::string name;
  std::vector<InputSpec> inputs;
  OpFn fn;
  double forward_u = 2.0;   // tolerance in units of u
  double backward_u = 4.0;
  bool fp32_output = false;  // the op returns fp32 for 16-bit inputs (the loss)
};

double unit_roundoff(DType t) { return t == DType::bf16 ? std::ldexp(1.0, -8) : std::ldexp(1.0, -11); }

// max |got - ref| / max |ref|
double relative_error(const Tensor& got, const Tensor& ref) {
  const std::vector<double> g = got.to_double_vector(), r = ref.to_double_vector();
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < r.size(); ++i) {
    num = std::max(num, std::abs(g[i] - r[i]));
    den = std::max(den, std::abs(r[i]));
  }
  return den > 0.0 ? num / den : num;
}

// Runs `c` in `dtype` and in fp32 on the same values; returns nothing, expects.
void check_against_fp32(const OpCase& c, DType dtype) {
  SCOPED_TRACE(c.name + " in " + dtype_name(dtype));
  const double u = unit_roundoff(dtype);
  Generator gen(17);
  Ins low, ref;
  for (const InputSpec& s : c.inputs) {
    Tensor x = Tensor::randn(s.shape, gen, DType::f32, s.shift, s.scale).to(dtype);
    low.push_back(x.detach().set_requires_grad(true));
    ref.push_back(x.to(DType::f32).detach().set_requires_grad(true));
  }
  Tensor out_low = c.fn(low), out_ref = c.fn(ref);
  EXPECT_EQ(out_low.dtype(), c.fp32_output ? DType::f32 : dtype);
  const double fwd = relative_error(out_low, out_ref);
  EXPECT_LE(fwd, c.forward_u * u) << "forward error " << fwd / u << " u";
  // The same upstream gradient (16-bit representable) for both.
  Tensor w = Tensor::randn(out_ref.shape(), gen).to(out_low.dtype());
  std::vector<Tensor> g_low = autograd::backward_capturing({out_low}, {w}, low);
  std::vector<Tensor> g_ref = autograd::backward_capturing({out_ref}, {w.to(DType::f32)}, ref);
  for (size_t i = 0; i < low.size(); ++i) {
    ASSERT_TRUE(g_low[i].defined() && g_ref[i].defined()) << "input " << i;
    EXPECT_EQ(g_low[i].dtype(), dtype) << "gradient of input " << i;
    const double bwd = relative_error(g_low[i], g_ref[i]);
    EXPECT_LE(bwd, c.backward_u * u) << "gradient of input " << i << ": error " << bwd / u << " u";
  }
}

Tensor ids_2x6() { return Tensor::from_vector(std::vector<int64_t>{3, 0, 7, 7, 1, 5, 2, 2, 9, 0, 4, 7}, {2, 6}); }
Tensor targets_12() { return Tensor::from_vector(std::vector<int64_t>{3, 0, 17, 7, -100, 5, 2, 2, 9, 30, 4, 7}, {12}); }
Tensor positions_5() { return Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 3, 4}, {5}); }

std::vector<OpCase> all_cases() {
  std::vector<OpCase> c;
  c.push_back({"add (broadcast)", {{{4, 8}}, {{8}}}, [](const Ins& in) { return ops::add(in[0], in[1]); }});
  c.push_back({"sub", {{{4, 8}}, {{4, 8}}}, [](const Ins& in) { return ops::sub(in[0], in[1]); }});
  c.push_back({"mul", {{{4, 8}}, {{4, 8}}}, [](const Ins& in) { return ops::mul(in[0], in[1]); }});
  c.push_back({"div", {{{4, 8}}, {{4, 8}, 0.2, 2.0}}, [](const Ins& in) { return ops::div(in[0], in[1]); }});
  c.push_back({"mul_scalar", {{{4, 8}}}, [](const Ins& in) { return ops::mul_scalar(in[0], 0.3); }});
  c.push_back({"exp", {{{4, 8}}}, [](const Ins& in) { return ops::exp(in[0]); }});
  c.push_back({"log", {{{4, 8}, 0.2, 2.0}}, [](const Ins& in) { return ops::log(in[0]); }});
  c.push_back({"sqrt", {{{4, 8}, 0.2, 2.0}}, [](const Ins& in) { return ops::sqrt(in[0]); }});
  c.push_back({"tanh", {{{4, 8}}}, [](const Ins& in) { return ops::tanh(in[0]); }});
  c.push_back({"pow_scalar", {{{4, 8}, 0.2, 2.0}}, [](const Ins& in) { return ops::pow_scalar(in[0], 1.5); }});
  c.push_back({"sum (dim)", {{{4, 8, 6}}}, [](const Ins& in) { return ops::sum(in[0], {1}); }});
  c.push_back({"mean", {{{4, 8, 6}}}, [](const Ins& in) { return ops::mean(in[0], {0, 2}); }});
  c.push_back({"max", {{{4, 8}}}, [](const Ins& in) { return ops::max(in[0], 1); }});
  c.push_back({"concat", {{{2, 3}}, {{2, 5}}}, [](const Ins& in) { return ops::concat({in[0], in[1]}, 1); }});
  c.push_back({"matmul (batched)", {{{3, 5, 16}}, {{3, 16, 7}}}, [](const Ins& in) { return ops::matmul(in[0], in[1]); }});
  c.push_back({"linear", {{{2, 5, 32}}, {{24, 32}}, {{24}}},
               [](const Ins& in) { return ops::linear(in[0], in[1], in[2]); }});
  c.push_back({"embedding", {{{10, 8}}}, [](const Ins& in) { return ops::embedding(ids_2x6(), in[0]); }});
  c.push_back({"layer_norm", {{{6, 32}, 2.0, 0.5}, {{32}, 0.2, 1.0}, {{32}}},
               [](const Ins& in) { return ops::layer_norm(in[0], in[1], in[2]); }});
  c.push_back({"rms_norm", {{{6, 32}, 2.0, 0.5}, {{32}, 0.2, 1.0}},
               [](const Ins& in) { return ops::rms_norm(in[0], in[1]); }});
  c.push_back({"gelu", {{{4, 16}, 2.0}}, [](const Ins& in) { return ops::gelu(in[0]); }});
  c.push_back({"silu", {{{4, 16}, 2.0}}, [](const Ins& in) { return ops::silu(in[0]); }});
  c.push_back({"swiglu", {{{4, 16}, 2.0}, {{4, 16}}}, [](const Ins& in) { return ops::swiglu(in[0], in[1]); }});
  c.push_back({"softmax", {{{4, 16}, 2.0}}, [](const Ins& in) { return ops::softmax(in[0], -1); }, 2.0, 6.0});
  c.push_back({"log_softmax", {{{4, 16}, 2.0}}, [](const Ins& in) { return ops::log_softmax(in[0], -1); }, 2.0, 6.0});
  c.push_back({"cross_entropy", {{{12, 33}, 2.0}},
               [](const Ins& in) { return ops::cross_entropy(in[0], targets_12()); }, 2.0, 4.0, true});
  c.push_back({"attention (GQA)", {{{2, 4, 9, 8}}, {{2, 2, 9, 8}}, {{2, 2, 9, 8}}},
               [](const Ins& in) { return ops::attention(in[0], in[1], in[2]); }});
  c.push_back({"attention_packed", {{{2, 9, 3 * 2 * 8}}},
               [](const Ins& in) { return ops::attention_packed(in[0], 2); }});
  c.push_back({"rope", {{{2, 3, 5, 8}}}, [](const Ins& in) { return ops::rope(in[0], positions_5(), 10000.0); }});
  c.push_back({"dropout", {{{4, 16}}}, [](const Ins& in) {
                 Generator g(5);
                 return ops::dropout(in[0], 0.25, g, true);
               }});
  return c;
}

class LowPrecisionOps : public ::testing::TestWithParam<DType> {};

TEST_P(LowPrecisionOps, ForwardAndBackwardMatchFp32) {
  for (const OpCase& c : all_cases()) check_against_fp32(c, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Formats, LowPrecisionOps, ::testing::Values(DType::bf16, DType::f16),
                         [](const ::testing::TestParamInfo<DType>& i) { return std::string(dtype_name(i.param)); });

TEST(LowPrecisionOps, CrossEntropyLossIsFp32ForHalfLogits) {
  Generator gen(3);
  Tensor logits = Tensor::randn({12, 33}, gen).to(DType::bf16);
  Tensor loss = ops::cross_entropy(logits, targets_12());
  EXPECT_EQ(loss.dtype(), DType::f32);
  // Exactly the fp32 op's value on the same logits (the kernel computes in fp32 either way).
  EXPECT_EQ(loss.item(), ops::cross_entropy(logits.to(DType::f32), targets_12()).item());
}

TEST(LowPrecisionOps, CachedCastIsAViewWhoseGradientReachesTheMaster) {
  Tensor master = Tensor::from_vector(std::vector<float>{1.0f, 2.5f, -3.0f}, {3}).set_requires_grad(true);
  Tensor cache = master.detach().to(DType::bf16);
  Tensor w = ops::to_dtype_cached(master, cache);
  EXPECT_TRUE(w.shares_storage(cache));
  EXPECT_EQ(w.dtype(), DType::bf16);
  ops::sum(ops::mul_scalar(w, 2.0)).backward();
  ASSERT_TRUE(master.grad().defined());
  EXPECT_EQ(master.grad().dtype(), DType::f32);
  EXPECT_EQ(master.grad().to_float_vector(), (std::vector<float>{2, 2, 2}));
  EXPECT_THROW(ops::to_dtype_cached(master, Tensor::zeros({4}, DType::bf16)), Error);
}

}  // namespace
}  // namespace forge
