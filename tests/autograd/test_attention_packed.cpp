// ops::attention_packed (attention read straight from a fused (B, T, 3 * H * D)
// q|k|v projection) and the strided kernel layout behind it: fp64 gradient
// check, bitwise equality with ops::attention on the split heads (forward and
// backward, f32, with doc_ids and with a non-contiguous packed input), bf16,
// the token-major output of ops::attention, and argument errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "autograd/ops.h"
#include "tests/autograd/gradcheck.h"

namespace forge {
namespace {

using testing::expect_gradients_match;
using testing::random_input;
using Ins = std::vector<Tensor>;

// The unfused reference: split q|k|v, heads to (B, H, T, D), attention, merge.
Tensor split_attention(const Tensor& qkv, int64_t heads, const Tensor& doc = Tensor()) {
  const int64_t B = qkv.size(0), T = qkv.size(1), C = qkv.size(2) / 3, D = C / heads;
  auto head_major = [&](int64_t i) { return qkv.narrow(2, i * C, C).reshape({B, T, heads, D}).transpose(1, 2); };
  Tensor y = ops::attention(head_major(0), head_major(1), head_major(2), 0.0, doc);
  return y.transpose(1, 2).reshape({B, T, C});
}

TEST(AttentionPacked, GradcheckMatchesFiniteDifferences) {
  Tensor qkv = random_input({2, 7, 3 * 2 * 3}, 41);  // B=2, T=7, H=2, D=3
  expect_gradients_match([](const Ins& in) { return ops::attention_packed(in[0], 2); }, {qkv});
}

TEST(AttentionPacked, EqualsSplitHeadsBitwise) {
  const int64_t B = 2, T = 150, H = 3, D = 32;
  Generator gen(42);
  std::vector<int64_t> ids(B * T);
  for (int64_t i = 0; i < B * T; ++i) ids[i] = (i % T) / 40;  // documents of 40 tokens
  for (bool with_doc : {false, true}) {
    Tensor qkv = Tensor::randn({B, T, 3 * H * D}, gen).set_requires_grad(true);
    Tensor gy = Tensor::randn({B, T, H * D}, gen);
    Tensor doc = with_doc ? Tensor::from_vector(ids, {B, T}) : Tensor();
    Tensor got = ops::attention_packed(qkv, H, 0.0, doc);
    Tensor want = split_attention(qkv, H, doc);
    EXPECT_EQ(got.shape(), want.shape());
    EXPECT_EQ(got.to_float_vector(), want.to_float_vector()) << "doc " << with_doc;
    Tensor g_got = autograd::backward_capturing({got}, {gy}, {qkv})[0];
    Tensor g_want = autograd::backward_capturing({want}, {gy}, {qkv})[0];
    EXPECT_EQ(g_got.to_float_vector(), g_want.to_float_vector()) << "doc " << with_doc;
  }
}

TEST(AttentionPacked, NonContiguousInputAndUpstreamGradient) {
  // qkv as a narrowed view (row stride wider than 3C), upstream grad transposed.
  const int64_t B = 2, T = 20, H = 2, D = 8;
  Generator gen(43);
  Tensor wide = Tensor::randn({B, T, 3 * H * D + 5}, gen).set_requires_grad(true);
  Tensor qkv = wide.narrow(2, 5, 3 * H * D);
  Tensor gy = Tensor::randn({B, H * D, T}, gen).transpose(1, 2);
  ASSERT_FALSE(qkv.is_contiguous());
  ASSERT_FALSE(gy.is_contiguous());
  Tensor got = ops::attention_packed(qkv, H);
  Tensor want = split_attention(wide.narrow(2, 5, 3 * H * D).contiguous(), H);  // its own graph
  EXPECT_EQ(got.to_float_vector(), want.to_float_vector());
  Tensor g_got = autograd::backward_capturing({got}, {gy}, {wide})[0];
  Tensor g_want = autograd::backward_capturing({want}, {gy}, {wide})[0];
  EXPECT_EQ(g_got.to_float_vector(), g_want.to_float_vector());
}

TEST(AttentionPacked, Bfloat16ComputesInFloat32) {
  Generator gen(44);
  Tensor qkv = Tensor::randn({1, 40, 3 * 2 * 16}, gen).to(DType::bf16).set_requires_grad(true);
  Tensor y = ops::attention_packed(qkv, 2);
  EXPECT_EQ(y.dtype(), DType::bf16);
  Tensor want = ops::attention_packed(qkv.detach().to(DType::f32), 2);
  const std::vector<double> a = y.to_double_vector(), b = want.to_double_vector();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-2 + 1e-2 * std::abs(b[i])) << i;
  Tensor g = autograd::backward_capturing({y}, {Tensor::ones(y.shape(), DType::bf16)}, {qkv})[0];
  EXPECT_EQ(g.dtype(), DType::bf16);
  EXPECT_EQ(g.shape(), qkv.shape());
}

TEST(Attention, OutputIsTokenMajorSoHeadMergeIsAView) {
  Generator gen(45);
  Tensor q = Tensor::randn({2, 3, 10, 4}, gen), k = Tensor::randn({2, 3, 10, 4}, gen),
         v = Tensor::randn({2, 3, 10, 4}, gen);
  Tensor y = ops::attention(q, k, v);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 10, 4}));
  Tensor merged = y.transpose(1, 2);
  EXPECT_TRUE(merged.is_contiguous());
  EXPECT_TRUE(merged.reshape({2, 10, 12}).shares_storage(y));
}

TEST(AttentionPacked, ErrorsNameShapes) {
  auto message = [](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string bad_width = message([] { ops::attention_packed(Tensor::zeros({1, 4, 10}), 2); });
  EXPECT_NE(bad_width.find("(1, 4, 10)"), std::string::npos) << bad_width;
  EXPECT_NE(bad_width.find("heads (2)"), std::string::npos) << bad_width;
  const std::string bad_rank = message([] { ops::attention_packed(Tensor::zeros({4, 12}), 2); });
  EXPECT_NE(bad_rank.find("(B, T, 3 * heads * head_dim)"), std::string::npos) << bad_rank;
  const std::string bad_doc =
      message([] { ops::attention_packed(Tensor::zeros({1, 4, 12}), 2, 0.0, Tensor::zeros({1, 5}, DType::i64)); });
  EXPECT_NE(bad_doc.find("doc_ids"), std::string::npos) << bad_doc;
}

}  // namespace
}  // namespace forge
