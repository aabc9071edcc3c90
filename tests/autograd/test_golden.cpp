// Golden tests: every differentiable op in f32 against PyTorch's values.
//
// Each TEST loads one case written by scripts/make_golden.py (inputs, torch's
// output and torch's input gradients of L = sum(out * W)), runs the forge op on
// the same inputs, back-propagates the same W, and compares (golden_reader.h).
// Tolerance is |forge - torch| <= 1e-5 + 1e-5 |torch| everywhere: the shapes
// are small (no reduction over more than 60 elements), and the largest error when
// the tests were written was under 1e-6 (FORGE_GOLDEN_REPORT=1 prints them), so
// no case needed a looser bound; a case with long reductions may, and should
// say why here. Dropout has no golden case: its mask cannot match torch's RNG.
#include <gtest/gtest.h>

#include "autograd/ops.h"
#include "tests/autograd/golden_reader.h"

namespace forge {
namespace {

using testing::check_golden;
using testing::GoldenInputs;
using testing::GoldenTolerance;
using Outs = std::vector<Tensor>;

bool keepdim(const GoldenInputs& in) { return in.integer("keepdim") != 0; }

// ---- elementwise, broadcasting ----------------------------------------------------

TEST(Golden, Add) {
  check_golden("add", {"a", "b"}, [](const GoldenInputs& in) { return Outs{ops::add(in["a"], in["b"])}; });
}
TEST(Golden, Sub) {
  check_golden("sub", {"a", "b"}, [](const GoldenInputs& in) { return Outs{ops::sub(in["a"], in["b"])}; });
}
TEST(Golden, Mul) {
  check_golden("mul", {"a", "b"}, [](const GoldenInputs& in) { return Outs{ops::mul(in["a"], in["b"])}; });
}
TEST(Golden, Div) {
  check_golden("div", {"a", "b"}, [](const GoldenInputs& in) { return Outs{ops::div(in["a"], in["b"])}; });
}
TEST(Golden, Neg) {
  check_golden("neg", {"x"}, [](const GoldenInputs& in) { return Outs{ops::neg(in["x"])}; });
}
TEST(Golden, AddScalar) {
  check_golden("add_scalar", {"x"}, [](const GoldenInputs& in) { return Outs{ops::add_scalar(in["x"], in.num("s"))}; });
}
TEST(Golden, MulScalar) {
  check_golden("mul_scalar", {"x"}, [](const GoldenInputs& in) { return Outs{ops::mul_scalar(in["x"], in.num("s"))}; });
}
TEST(Golden, RsubScalar) {
  check_golden("rsub_scalar", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::rsub_scalar(in["x"], in.num("s"))}; });
}
TEST(Golden, PowScalar) {
  check_golden("pow_scalar", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::pow_scalar(in["x"], in.num("exponent"))}; });
}
TEST(Golden, PowScalarIntegerExponentNegativeBase) {
  check_golden("pow_scalar_int", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::pow_scalar(in["x"], in.num("exponent"))}; });
}
TEST(Golden, Exp) {
  check_golden("exp", {"x"}, [](const GoldenInputs& in) { return Outs{ops::exp(in["x"])}; });
}
TEST(Golden, Log) {
  check_golden("log", {"x"}, [](const GoldenInputs& in) { return Outs{ops::log(in["x"])}; });
}
TEST(Golden, Sqrt) {
  check_golden("sqrt", {"x"}, [](const GoldenInputs& in) { return Outs{ops::sqrt(in["x"])}; });
}
TEST(Golden, Rsqrt) {
  check_golden("rsqrt", {"x"}, [](const GoldenInputs& in) { return Outs{ops::rsqrt(in["x"])}; });
}
TEST(Golden, Tanh) {
  check_golden("tanh", {"x"}, [](const GoldenInputs& in) { return Outs{ops::tanh(in["x"])}; });
}
TEST(Golden, Pow) {
  check_golden("pow", {"a", "b"}, [](const GoldenInputs& in) { return Outs{ops::pow(in["a"], in["b"])}; });
}
TEST(Golden, Where) {
  check_golden("where", {"cond", "a", "b"},
               [](const GoldenInputs& in) { return Outs{ops::where(in["cond"], in["a"], in["b"])}; });
}
TEST(Golden, MaskedFill) {
  check_golden("masked_fill", {"x", "mask"},
               [](const GoldenInputs& in) { return Outs{ops::masked_fill(in["x"], in["mask"], in.num("value"))}; });
}

// ---- reductions, concat, split ----------------------------------------------------------

TEST(Golden, SumDims) {
  check_golden("sum_dims", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::sum(in["x"], in.ints("dims"), keepdim(in))}; });
}
TEST(Golden, SumAll) {
  check_golden("sum_all", {"x"}, [](const GoldenInputs& in) { return Outs{ops::sum(in["x"])}; });
}
TEST(Golden, SumKeepdim) {
  check_golden("sum_keepdim", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::sum(in["x"], in.ints("dims"), keepdim(in))}; });
}
TEST(Golden, MeanDims) {
  check_golden("mean_dims", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::mean(in["x"], in.ints("dims"), keepdim(in))}; });
}
TEST(Golden, MeanAll) {
  check_golden("mean_all", {"x"}, [](const GoldenInputs& in) { return Outs{ops::mean(in["x"])}; });
}
TEST(Golden, MeanKeepdim) {
  check_golden("mean_keepdim", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::mean(in["x"], in.ints("dims"), keepdim(in))}; });
}
TEST(Golden, MaxLastDim) {
  check_golden("max_last", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::max(in["x"], in.integer("dim"), keepdim(in))}; });
}
TEST(Golden, MaxMiddleDimKeepdim) {
  check_golden("max_mid_keepdim", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::max(in["x"], in.integer("dim"), keepdim(in))}; });
}
TEST(Golden, MaxWithIndices) {
  for (const char* name : {"max_last", "max_mid_keepdim"}) {
    testing::GoldenCase c(name);
    auto [values, indices] = ops::max_with_indices(c.get("x"), c.meta_int("dim"), c.meta_int("keepdim") != 0);
    testing::expect_close(values, c.get("out"), 0, 0, std::string(name) + " values");
    ASSERT_EQ(indices.dtype(), DType::i64) << name;
    EXPECT_EQ(indices.shape(), c.get("indices").shape()) << name;
    EXPECT_EQ(indices.to_int_vector(), c.get("indices").to_int_vector()) << name;
  }
}
TEST(Golden, SumTo) {
  check_golden("sum_to", {"x"}, [](const GoldenInputs& in) { return Outs{ops::sum_to(in["x"], {3, 1})}; });
}
TEST(Golden, Concat) {
  check_golden("concat", {"a", "b", "c"}, [](const GoldenInputs& in) {
    return Outs{ops::concat({in["a"], in["b"], in["c"]}, in.integer("dim"))};
  });
}
TEST(Golden, ConcatLastDim) {
  check_golden("concat_last", {"a", "b"},
               [](const GoldenInputs& in) { return Outs{ops::concat({in["a"], in["b"]}, in.integer("dim"))}; });
}
TEST(Golden, Split) {
  check_golden("split", {"x"},
               [](const GoldenInputs& in) { return ops::split(in["x"], in.ints("sizes"), in.integer("dim")); });
}

// ---- linear algebra -----------------------------------------------------------------

TEST(Golden, Matmul2d) {
  check_golden("matmul_2d", {"a", "b"}, [](const GoldenInputs& in) { return Outs{ops::matmul(in["a"], in["b"])}; });
}
TEST(Golden, MatmulBatched) {
  check_golden("matmul_batched", {"a", "b"},
               [](const GoldenInputs& in) { return Outs{ops::matmul(in["a"], in["b"])}; });
}
TEST(Golden, MatmulBroadcast) {
  check_golden("matmul_broadcast", {"a", "b"},
               [](const GoldenInputs& in) { return Outs{ops::matmul(in["a"], in["b"])}; });
}
TEST(Golden, MatmulTransposedOperand) {
  // b = bt^T, a non-contiguous view BLAS should take without a copy.
  check_golden("matmul_bt", {"a", "bt"},
               [](const GoldenInputs& in) { return Outs{ops::matmul(in["a"], in["bt"].transpose(0, 1))}; });
}
TEST(Golden, Linear) {
  check_golden("linear", {"x", "weight", "bias"},
               [](const GoldenInputs& in) { return Outs{ops::linear(in["x"], in["weight"], in["bias"])}; });
}
TEST(Golden, LinearNoBias) {
  check_golden("linear_nobias", {"x", "weight"},
               [](const GoldenInputs& in) { return Outs{ops::linear(in["x"], in["weight"])}; });
}
TEST(Golden, Embedding) {
  check_golden("embedding", {"ids", "weight"},
               [](const GoldenInputs& in) { return Outs{ops::embedding(in["ids"], in["weight"])}; });
}

// ---- fused nn ops -----------------------------------------------------------------

TEST(Golden, LayerNorm) {
  check_golden("layer_norm", {"x", "weight", "bias"}, [](const GoldenInputs& in) {
    return Outs{ops::layer_norm(in["x"], in["weight"], in["bias"], in.num("eps"))};
  });
}
TEST(Golden, LayerNormNoAffine) {
  check_golden("layer_norm_noaffine", {"x"}, [](const GoldenInputs& in) {
    return Outs{ops::layer_norm(in["x"], Tensor(), Tensor(), in.num("eps"))};
  });
}
TEST(Golden, RmsNorm) {
  check_golden("rms_norm", {"x", "weight"},
               [](const GoldenInputs& in) { return Outs{ops::rms_norm(in["x"], in["weight"], in.num("eps"))}; });
}
TEST(Golden, Gelu) {
  check_golden("gelu", {"x"}, [](const GoldenInputs& in) { return Outs{ops::gelu(in["x"])}; });
}
TEST(Golden, Silu) {
  check_golden("silu", {"x"}, [](const GoldenInputs& in) { return Outs{ops::silu(in["x"])}; });
}
TEST(Golden, Swiglu) {
  check_golden("swiglu", {"gate", "up"},
               [](const GoldenInputs& in) { return Outs{ops::swiglu(in["gate"], in["up"])}; });
}
TEST(Golden, Softmax) {
  check_golden("softmax", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::softmax(in["x"], in.integer("dim"))}; });
}
TEST(Golden, SoftmaxMiddleDim) {
  check_golden("softmax_dim1", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::softmax(in["x"], in.integer("dim"))}; });
}
TEST(Golden, LogSoftmax) {
  check_golden("log_softmax", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::log_softmax(in["x"], in.integer("dim"))}; });
}
TEST(Golden, LogSoftmaxFirstDim) {
  check_golden("log_softmax_dim0", {"x"},
               [](const GoldenInputs& in) { return Outs{ops::log_softmax(in["x"], in.integer("dim"))}; });
}
TEST(Golden, CrossEntropyIgnoreIndex) {
  check_golden("cross_entropy", {"logits", "targets"}, [](const GoldenInputs& in) {
    return Outs{ops::cross_entropy(in["logits"], in["targets"], in.integer("ignore_index"))};
  });
}
TEST(Golden, CrossEntropy3dCustomIgnoreIndex) {
  check_golden("cross_entropy_3d", {"logits", "targets"}, [](const GoldenInputs& in) {
    return Outs{ops::cross_entropy(in["logits"], in["targets"], in.integer("ignore_index"))};
  });
}
TEST(Golden, Rope) {
  check_golden("rope", {"x", "positions"}, [](const GoldenInputs& in) {
    return Outs{ops::rope(in["x"], in["positions"], in.num("rope_theta"))};
  });
}
TEST(Golden, RopePerSequencePositions) {
  check_golden("rope_positions_bt", {"x", "positions"}, [](const GoldenInputs& in) {
    return Outs{ops::rope(in["x"], in["positions"], in.num("rope_theta"))};
  });
}

// ---- attention ------------------------------------------------------------------------

TEST(Golden, AttentionMultiHead) {
  check_golden("attention_mha", {"q", "k", "v"}, [](const GoldenInputs& in) {
    return Outs{ops::attention(in["q"], in["k"], in["v"], in.num("scale"))};
  });
}
TEST(Golden, AttentionGroupedQuery) {
  check_golden("attention_gqa", {"q", "k", "v"}, [](const GoldenInputs& in) {
    return Outs{ops::attention(in["q"], in["k"], in["v"], in.num("scale"))};
  });
}
TEST(Golden, AttentionExplicitScale) {
  check_golden("attention_scale", {"q", "k", "v"}, [](const GoldenInputs& in) {
    return Outs{ops::attention(in["q"], in["k"], in["v"], in.num("scale"))};
  });
}
TEST(Golden, AttentionDocumentMask) {
  check_golden("attention_doc_ids", {"q", "k", "v", "doc_ids"}, [](const GoldenInputs& in) {
    return Outs{ops::attention(in["q"], in["k"], in["v"], in.num("scale"), in["doc_ids"])};
  });
}

// ---- the golden files themselves ------------------------------------------------------

TEST(Golden, FilesRecordTorchVersion) {
  testing::GoldenCase c("add");
  EXPECT_EQ(c.meta("case"), "add");
  EXPECT_FALSE(c.meta("torch").empty());
  EXPECT_THROW(testing::GoldenCase("no_such_case"), Error);
}

}  // namespace
}  // namespace forge
