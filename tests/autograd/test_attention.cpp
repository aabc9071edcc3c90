// Fused causal attention (ops::attention and kernels/cpu/attention): fp64
// gradient checks (MHA, GQA, doc_ids, non-contiguous inputs, T not a multiple
// of the tile), the kernel with small tiles against a naive loop, f32 against a
// reference built from matmul + masked softmax, causality, bf16, thread-count
// independence, O(T) saved memory, and error messages.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autograd/allocator.h"
#include "autograd/ops.h"
#include "common/philox.h"
#include "kernels/cpu/attention.h"
#include "tests/autograd/gradcheck.h"
#include "tests/test_util.h"

namespace forge {
namespace {

using kernels::cpu::AttentionDims;
using kernels::cpu::AttentionTiles;
using testing::expect_gradients_match;
using testing::random_input;
using testing::error_of;
using testing::expect_all_near;
using Ins = std::vector<Tensor>;

// Naive attention forward and backward in double, straight from the definition.
// q, dout: (B, Hq, T, D); k, v: (B, Hkv, T, D); doc: (B, T) or empty.
struct NaiveResult {
  std::vector<double> out, dq, dk, dv;
};
NaiveResult naive_attention(const AttentionDims& dm, const std::vector<double>& q, const std::vector<double>& k,
                            const std::vector<double>& v, const std::vector<int64_t>& doc, double scale,
                            const std::vector<double>& dout) {
  const int64_t B = dm.batch, Hq = dm.q_heads, Hkv = dm.kv_heads, T = dm.seq, D = dm.head_dim, G = Hq / Hkv;
  NaiveResult r;
  r.out.assign(q.size(), 0.0);
  r.dq.assign(q.size(), 0.0);
  r.dk.assign(k.size(), 0.0);
  r.dv.assign(k.size(), 0.0);
  std::vector<double> p(T), dp(T);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < Hq; ++h) {
      const int64_t qo = (b * Hq + h) * T * D, ko = (b * Hkv + h / G) * T * D;
      for (int64_t i = 0; i < T; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < T; ++j) {
          const bool ok = j <= i && (doc.empty() || doc[b * T + j] == doc[b * T + i]);
          double s = 0;
          for (int64_t c = 0; c < D; ++c) s += q[qo + i * D + c] * k[ko + j * D + c];
          p[j] = ok ? s * scale : -std::numeric_limits<double>::infinity();
          mx = std::max(mx, p[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < T; ++j) sum += (p[j] = std::exp(p[j] - mx));
        double delta = 0;
        for (int64_t j = 0; j < T; ++j) {
          p[j] /= sum;
          dp[j] = 0;
          for (int64_t c = 0; c < D; ++c) {
            r.out[qo + i * D + c] += p[j] * v[ko + j * D + c];
            dp[j] += dout[qo + i * D + c] * v[ko + j * D + c];
          }
          delta += p[j] * dp[j];
        }
        for (int64_t j = 0; j < T; ++j) {
          const double ds = p[j] * (dp[j] - delta) * scale;
          for (int64_t c = 0; c < D; ++c) {
            r.dq[qo + i * D + c] += ds * k[ko + j * D + c];
            r.dk[ko + j * D + c] += ds * q[qo + i * D + c];
            r.dv[ko + j * D + c] += p[j] * dout[qo + i * D + c];
          }
        }
      }
    }
  }
  return r;
}

std::vector<double> random_vector(int64_t n, uint64_t seed) {
  Generator gen(seed);
  return Tensor::randn({n}, gen, DType::f64).to_double_vector();
}

// Packed-sequence ids: documents of varying length, restarting the numbering per row.
std::vector<int64_t> packed_doc_ids(int64_t B, int64_t T) {
  std::vector<int64_t> doc(B * T);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) doc[b * T + t] = (t + 3 * b) / (5 + 2 * b);
  return doc;
}

// ---- kernel with small tiles against the naive loop ---------------------------------

TEST(AttentionKernel, SmallTilesMatchNaiveLoop) {
  struct Case {
    AttentionDims dims;
    AttentionTiles tiles;
    bool doc;
  };
  const std::vector<Case> cases = {
      {{1, 2, 2, 5, 3}, {2, 3}, false},     // T=5, partial tiles on both axes
      {{2, 4, 2, 70, 5}, {16, 8}, false},   // GQA, T=70
      {{2, 4, 1, 70, 4}, {7, 9}, true},     // GQA (one kv head), doc_ids, odd tiles
      {{1, 3, 3, 33, 20}, {64, 64}, true},  // one tile larger than T
      {{1, 2, 1, 70, 72}, {64, 64}, false}  // D wider than a register block, 64-tiles
  };
  for (const Case& c : cases) {
    const AttentionDims& dm = c.dims;
    const int64_t nq = dm.batch * dm.q_heads * dm.seq * dm.head_dim;
    const int64_t nk = dm.batch * dm.kv_heads * dm.seq * dm.head_dim;
    const std::vector<double> q = random_vector(nq, 1), k = random_vector(nk, 2), v = random_vector(nk, 3),
                              dout = random_vector(nq, 4);
    const std::vector<int64_t> doc = c.doc ? packed_doc_ids(dm.batch, dm.seq) : std::vector<int64_t>();
    const double scale = 0.37;
    NaiveResult want = naive_attention(dm, q, k, v, doc, scale, dout);
    std::vector<double> out(nq), lse(nq / dm.head_dim), dq(nq), dk(nk), dv(nk);
    const int64_t* doc_ptr = c.doc ? doc.data() : nullptr;
    kernels::cpu::attention_forward(DType::f64, dm, q.data(), k.data(), v.data(), doc_ptr, scale, out.data(),
                                    lse.data(), c.tiles);
    kernels::cpu::attention_backward(DType::f64, dm, q.data(), k.data(), v.data(), doc_ptr, scale, out.data(),
                                     lse.data(), dout.data(), dq.data(), dk.data(), dv.data(), c.tiles);
    const std::string what = "T=" + std::to_string(dm.seq) + " tiles " + std::to_string(c.tiles.q) + "x" +
                             std::to_string(c.tiles.k);
    expect_all_near(out, want.out, 1e-12, 1e-10, what + " out");
    expect_all_near(dq, want.dq, 1e-12, 1e-10, what + " dq");
    expect_all_near(dk, want.dk, 1e-12, 1e-10, what + " dk");
    expect_all_near(dv, want.dv, 1e-12, 1e-10, what + " dv");
  }
}

// ---- gradient checks through ops::attention ----------------------------------------

TEST(Attention, GradcheckMultiHeadShortSequence) {
  Tensor q = random_input({2, 2, 5, 3}, 10), k = random_input({2, 2, 5, 3}, 11), v = random_input({2, 2, 5, 3}, 12);
  expect_gradients_match([](const Ins& in) { return ops::attention(in[0], in[1], in[2]); }, {q, k, v});
  expect_gradients_match([](const Ins& in) { return ops::attention(in[0], in[1], in[2], 0.9); }, {q, k, v});
}

TEST(Attention, GradcheckGroupedQueryAcrossTiles) {
  // T = 70 spans two 64-row tiles, the second partial.
  Tensor q = random_input({1, 2, 70, 2}, 20), k = random_input({1, 1, 70, 2}, 21), v = random_input({1, 1, 70, 2}, 22);
  expect_gradients_match([](const Ins& in) { return ops::attention(in[0], in[1], in[2]); }, {q, k, v});
}

TEST(Attention, GradcheckWithDocIds) {
  const std::vector<int64_t> doc = packed_doc_ids(2, 9);
  Tensor ids = Tensor::from_vector(doc, {2, 9}, DType::i32);
  Tensor q = random_input({2, 2, 9, 4}, 30), k = random_input({2, 1, 9, 4}, 31), v = random_input({2, 1, 9, 4}, 32);
  expect_gradients_match([&](const Ins& in) { return ops::attention(in[0], in[1], in[2], 0.0, ids); }, {q, k, v});
  Tensor ids70 = Tensor::from_vector(packed_doc_ids(1, 70), {1, 70});
  Tensor q2 = random_input({1, 2, 70, 2}, 33), k2 = random_input({1, 1, 70, 2}, 34), v2 = random_input({1, 1, 70, 2}, 35);
  expect_gradients_match([&](const Ins& in) { return ops::attention(in[0], in[1], in[2], 0.0, ids70); }, {q2, k2, v2});
}

TEST(Attention, GradcheckNonContiguousFromPackedQkv) {
  // qkv: (B, T, 3, H, D) split and transposed to (B, H, T, D) views, as in a GPT-2 block.
  Tensor qkv = random_input({2, 6, 3, 2, 3}, 40);
  expect_gradients_match(
      [](const Ins& in) {
        std::vector<Tensor> parts = ops::split(in[0], {1, 1, 1}, 2);
        auto head_major = [](const Tensor& x) { return ops::squeeze(x, 2).transpose(1, 2); };  // (B, H, T, D)
        Tensor q = head_major(parts[0]), k = head_major(parts[1]), v = head_major(parts[2]);
        EXPECT_FALSE(q.is_contiguous());
        return ops::attention(q, k, v);
      },
      {qkv});
}

// ---- f32 against a reference from other ops ----------------------------------------

// softmax(mask(q k^T * scale)) v with k, v repeated over the query heads of each group.
Tensor reference_attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale) {
  const int64_t B = q.size(0), Hq = q.size(1), T = q.size(2), D = q.size(3), Hkv = k.size(1);
  auto repeat = [&](const Tensor& x) {
    return ops::unsqueeze(x, 2).expand({B, Hkv, Hq / Hkv, T, D}).reshape({B, Hq, T, D});
  };
  std::vector<int64_t> upper(T * T);
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = 0; j < T; ++j) upper[i * T + j] = j > i;
  Tensor mask = Tensor::from_vector(upper, {T, T}).to(DType::u8);
  Tensor s = ops::mul_scalar(ops::matmul(q, repeat(k).transpose(2, 3)), scale);
  Tensor p = ops::softmax(ops::masked_fill(s, mask, -std::numeric_limits<double>::infinity()), -1);
  return ops::matmul(p, repeat(v));
}

TEST(Attention, Float32MatchesMatmulSoftmaxReference) {
  for (int64_t hkv : {4, 2}) {
    Generator gen(50 + hkv);
    Tensor q = Tensor::randn({2, 4, 200, 64}, gen).set_requires_grad(true);
    Tensor k = Tensor::randn({2, hkv, 200, 64}, gen).set_requires_grad(true);
    Tensor v = Tensor::randn({2, hkv, 200, 64}, gen).set_requires_grad(true);
    Tensor gy = Tensor::randn({2, 4, 200, 64}, gen);
    const double scale = 0.125;
    std::vector<Tensor> got_grads = autograd::backward_capturing({ops::attention(q, k, v)}, {gy}, {q, k, v});
    std::vector<Tensor> want_grads =
        autograd::backward_capturing({reference_attention(q, k, v, scale)}, {gy}, {q, k, v});
    NoGradGuard no_grad;
    const std::string tag = "Hkv=" + std::to_string(hkv);
    expect_all_near(ops::attention(q, k, v).to_double_vector(), reference_attention(q, k, v, scale).to_double_vector(),
                    2e-5, 1e-4, tag + " out");
    const char* names[] = {"dq", "dk", "dv"};
    for (int i = 0; i < 3; ++i)
      expect_all_near(got_grads[i].to_double_vector(), want_grads[i].to_double_vector(), 5e-5, 1e-4,
                      tag + " " + names[i]);
  }
}

TEST(Attention, Bfloat16ComputesInFloat32) {
  Generator gen(60);
  Tensor q = Tensor::randn({1, 2, 80, 16}, gen).to(DType::bf16);
  Tensor k = Tensor::randn({1, 1, 80, 16}, gen).to(DType::bf16);
  Tensor v = Tensor::randn({1, 1, 80, 16}, gen).to(DType::bf16);
  q.set_requires_grad(true);
  Tensor y = ops::attention(q, k, v);
  EXPECT_EQ(y.dtype(), DType::bf16);
  Tensor want = ops::attention(q.detach().to(DType::f32), k.to(DType::f32), v.to(DType::f32));
  expect_all_near(y.to_double_vector(), want.to_double_vector(), 1e-2, 1e-2, "bf16 out");
  Tensor gy = Tensor::ones(y.shape(), DType::bf16);
  Tensor dq = autograd::backward_capturing({y}, {gy}, {q})[0];
  EXPECT_EQ(dq.dtype(), DType::bf16);
  Tensor qf = q.detach().to(DType::f32).set_requires_grad(true);
  Tensor dq_want = autograd::backward_capturing({ops::attention(qf, k.to(DType::f32), v.to(DType::f32))},
                                                {Tensor::ones(y.shape())}, {qf})[0];
  expect_all_near(dq.to_double_vector(), dq_want.to_double_vector(), 3e-2, 3e-2, "bf16 dq");
}

// ---- semantics ---------------------------------------------------------------------

TEST(Attention, FutureKeysDoNotChangeEarlierOutputs) {
  Generator gen(70);
  const int64_t T = 150, cut = 97;
  Tensor q = Tensor::randn({1, 2, T, 8}, gen), k = Tensor::randn({1, 2, T, 8}, gen), v = Tensor::randn({1, 2, T, 8}, gen);
  Tensor y = ops::attention(q, k, v);
  Tensor k2 = k.clone(), v2 = v.clone();
  Tensor k_future = k2.narrow(2, cut + 1, T - cut - 1), v_future = v2.narrow(2, cut + 1, T - cut - 1);
  ops::fill_(k_future, 7.0);
  ops::fill_(v_future, -3.0);
  Tensor y2 = ops::attention(q, k2, v2);
  EXPECT_EQ(y.narrow(2, 0, cut + 1).to_float_vector(), y2.narrow(2, 0, cut + 1).to_float_vector());
  EXPECT_NE(y.narrow(2, cut + 1, 1).to_float_vector(), y2.narrow(2, cut + 1, 1).to_float_vector());
}

TEST(Attention, DocIdsIsolateDocuments) {
  // Two documents packed in one row give the same outputs as each run alone.
  Generator gen(80);
  const int64_t T = 40, split = 17;
  Tensor q = Tensor::randn({1, 2, T, 8}, gen), k = Tensor::randn({1, 2, T, 8}, gen), v = Tensor::randn({1, 2, T, 8}, gen);
  std::vector<int64_t> doc(T);
  for (int64_t t = 0; t < T; ++t) doc[t] = t < split ? 5 : 9;
  Tensor y = ops::attention(q, k, v, 0.0, Tensor::from_vector(doc, {1, T}));
  Tensor y_second = ops::attention(q.narrow(2, split, T - split), k.narrow(2, split, T - split),
                                   v.narrow(2, split, T - split));
  Tensor y_first = ops::attention(q.narrow(2, 0, split), k.narrow(2, 0, split), v.narrow(2, 0, split));
  expect_all_near(y.narrow(2, split, T - split).to_double_vector(), y_second.to_double_vector(), 1e-6, 1e-5, "doc 2");
  expect_all_near(y.narrow(2, 0, split).to_double_vector(), y_first.to_double_vector(), 1e-6, 1e-5, "doc 1");
}

TEST(Attention, BackwardIsIndependentOfThreadCount) {
  Generator gen(90);
  Tensor q = Tensor::randn({2, 4, 130, 32}, gen).set_requires_grad(true);
  Tensor k = Tensor::randn({2, 1, 130, 32}, gen).set_requires_grad(true);
  Tensor v = Tensor::randn({2, 1, 130, 32}, gen).set_requires_grad(true);
  Tensor gy = Tensor::randn({2, 4, 130, 32}, gen);
  auto grads = [&] { return autograd::backward_capturing({ops::attention(q, k, v)}, {gy}, {q, k, v}); };
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  std::vector<Tensor> one = grads();
  omp_set_num_threads(std::max(2, saved));
  std::vector<Tensor> many = grads();
  omp_set_num_threads(saved);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(one[i].to_float_vector(), many[i].to_float_vector()) << "grad " << i;
}

TEST(Attention, ForwardSavesLinearMemory) {
  // Under autograd the node keeps q, k, v (the leaves), the output and one
  // logsumexp per row: far below one T x T score matrix per head.
  const int64_t B = 1, H = 2, T = 1024, D = 32;
  Generator gen(100);
  Tensor q = Tensor::randn({B, H, T, D}, gen).set_requires_grad(true);
  Tensor k = Tensor::randn({B, H, T, D}, gen).set_requires_grad(true);
  Tensor v = Tensor::randn({B, H, T, D}, gen).set_requires_grad(true);
  Allocator& alloc = allocator_for(Device::cpu());
  const size_t before = alloc.stats().live_bytes;
  alloc.reset_peak();
  Tensor y = ops::attention(q, k, v);
  const size_t after = alloc.stats().live_bytes;
  const size_t peak = alloc.stats().peak_live_bytes;
  const size_t scores_bytes = static_cast<size_t>(B * H * T * T) * 4;
  const size_t out_and_lse = static_cast<size_t>(B * H * T * (D + 1)) * 4;
  EXPECT_LE(after - before, 2 * out_and_lse) << "live bytes grew by " << (after - before);
  EXPECT_LT(after - before, scores_bytes / 16);
  EXPECT_LT(peak - before, scores_bytes / 16) << "peak grew by " << (peak - before);
  y.backward(Tensor::ones(y.shape()));
  EXPECT_TRUE(q.grad().defined() && k.grad().defined() && v.grad().defined());
}

// ---- errors ------------------------------------------------------------------------

TEST(Attention, ErrorsNameShapes) {
  Tensor q = Tensor::zeros({1, 6, 8, 4}), k = Tensor::zeros({1, 4, 8, 4}), v = Tensor::zeros({1, 4, 8, 4});
  std::string msg = error_of([&] { ops::attention(q, k, v); });
  EXPECT_HAS(msg, "attention");
  EXPECT_HAS(msg, "(1, 6, 8, 4)");
  EXPECT_HAS(msg, "(1, 4, 8, 4)");

  Tensor k5 = Tensor::zeros({1, 2, 8, 5});
  msg = error_of([&] { ops::attention(q, k5, k5); });
  EXPECT_HAS(msg, "head dim");
  EXPECT_HAS(msg, "(1, 2, 8, 5)");

  msg = error_of([&] { ops::attention(q, Tensor::zeros({1, 2, 8, 4}), Tensor::zeros({1, 2, 9, 4})); });
  EXPECT_HAS(msg, "(1, 2, 9, 4)");

  msg = error_of([&] { ops::attention(Tensor::zeros({6, 8, 4}), k, v); });
  EXPECT_HAS(msg, "(6, 8, 4)");

  msg = error_of([&] { ops::attention(q, Tensor::zeros({1, 2, 8, 4}, DType::f64), Tensor::zeros({1, 2, 8, 4})); });
  EXPECT_HAS(msg, "f64");

  Tensor k2 = Tensor::zeros({1, 2, 8, 4});
  msg = error_of([&] { ops::attention(q, k2, k2, 0.0, Tensor::zeros({1, 7}, DType::i64)); });
  EXPECT_HAS(msg, "doc_ids");
  EXPECT_HAS(msg, "(1, 7)");
  msg = error_of([&] { ops::attention(q, k2, k2, 0.0, Tensor::zeros({1, 8})); });
  EXPECT_HAS(msg, "f32");
}

}  // namespace
}  // namespace forge
