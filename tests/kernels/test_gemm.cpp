// Raw CPU kernels of the linalg family: GEMM (all transposes, leading dims,
// beta, batching, the tiled bf16/f16 path) and embedding gather/scatter-add,
// each against a naive loop.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/embedding.h"
#include "kernels/cpu/gemm.h"

namespace forge::kernels::cpu {
namespace {

std::vector<double> random_values(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> dist(0.0, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = dist(gen);
  return v;
}

// A stored matrix of `rows` x `cols` with row stride ld (> cols to test leading dims).
struct Stored {
  int64_t rows, cols, ld;
  std::vector<double> v;
  double at(int64_t r, int64_t c) const { return v[r * ld + c]; }
};

Stored make_stored(int64_t rows, int64_t cols, int64_t pad, uint32_t seed) {
  Stored s{rows, cols, cols + pad, {}};
  s.v = random_values(static_cast<size_t>(rows * s.ld), seed);
  return s;
}

template <typename T>
std::vector<T> cast_all(const std::vector<double>& v) {
  std::vector<T> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = T(static_cast<float>(v[i]));
  if constexpr (std::is_same_v<T, double>)
    for (size_t i = 0; i < v.size(); ++i) out[i] = v[i];
  return out;
}

template <typename T>
std::vector<double> uncast(const std::vector<T>& v) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<double>(static_cast<float>(v[i]));
  if constexpr (std::is_same_v<T, double>)
    for (size_t i = 0; i < v.size(); ++i) out[i] = v[i];
  return out;
}

// Runs gemm in dtype T on values rounded to T; checks against a double loop on the rounded values.
template <typename T>
void check_gemm(DType dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double beta, double rtol) {
  Stored a = ta ? make_stored(k, m, 3, 1) : make_stored(m, k, 2, 1);
  Stored b = tb ? make_stored(n, k, 1, 2) : make_stored(k, n, 4, 2);
  Stored c = make_stored(m, n, 5, 3);
  // Round the inputs to T so the reference sees exactly what the kernel sees.
  a.v = uncast(cast_all<T>(a.v));
  b.v = uncast(cast_all<T>(b.v));
  c.v = uncast(cast_all<T>(c.v));
  std::vector<T> at = cast_all<T>(a.v), bt = cast_all<T>(b.v), ct = cast_all<T>(c.v);
  gemm(dt, ta, tb, m, n, k, at.data(), a.ld, bt.data(), b.ld, beta, ct.data(), c.ld);
  std::vector<double> got = uncast(ct);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double ref = beta * c.at(i, j), mag = std::abs(ref);
      for (int64_t p = 0; p < k; ++p) {
        const double x = (ta ? a.at(p, i) : a.at(i, p)) * (tb ? b.at(j, p) : b.at(p, j));
        ref += x;
        mag += std::abs(x);
      }
      ASSERT_NEAR(got[i * c.ld + j], ref, rtol * (mag + 1e-30))
          << dtype_name(dt) << " ta=" << ta << " tb=" << tb << " (" << m << "," << n << "," << k << ") at " << i
          << "," << j;
    }
    for (int64_t j = n; j < c.ld; ++j) ASSERT_EQ(got[i * c.ld + j], c.at(i, j)) << "padding was written";
  }
}

TEST(Gemm, F32AndF64AllTransposesAndLeadingDims) {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (double beta : {0.0, 1.0, 0.5}) {
        check_gemm<double>(DType::f64, ta, tb, 7, 5, 9, beta, 1e-13);
        check_gemm<float>(DType::f32, ta, tb, 33, 17, 65, beta, 1e-5);
      }
}

TEST(Gemm, Bf16AndF16MatchFp32AccumulationWithinRounding) {
  // Result = fp32 product of exactly-converted inputs, rounded once: within half a
  // 16-bit ulp of the exact value (plus fp32 summation error).
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_gemm<bf16>(DType::bf16, ta, tb, 9, 11, 40, 0.0, 1.0 / 256);
      check_gemm<bf16>(DType::bf16, ta, tb, 9, 11, 40, 1.0, 1.0 / 256);
      check_gemm<f16>(DType::f16, ta, tb, 9, 11, 40, 1.0, 1.0 / 1024);
    }
}

TEST(Gemm, LowPrecisionTilesCoverEveryDim) {
  // Shapes that cross the M, N and K tile sizes while staying cheap.
  check_gemm<bf16>(DType::bf16, false, true, 3, 4, kLowpTileK + 37, 1.0, 1.0 / 256);
  check_gemm<bf16>(DType::bf16, true, false, 2, kLowpTileN + 5, 3, 0.0, 1.0 / 256);
  check_gemm<f16>(DType::f16, false, false, kLowpTileM + 9, 2, 3, 1.0, 1.0 / 1024);
  check_gemm<bf16>(DType::bf16, true, true, kLowpTileM + 1, kLowpTileN + 1, 2, 0.0, 1.0 / 256);
}

TEST(Gemm, ZeroInnerDimWritesBetaTimesC) {
  std::vector<float> a(1), b(1), c(6, 3.0f);
  gemm(DType::f32, false, false, 2, 3, 0, a.data(), 1, b.data(), 3, 0.0, c.data(), 3);
  for (float v : c) EXPECT_EQ(v, 0.0f);
  std::vector<bf16> cb(6, bf16(2.0f));
  gemm(DType::bf16, false, false, 2, 3, 0, a.data(), 1, b.data(), 3, 0.5, cb.data(), 3);
  for (bf16 v : cb) EXPECT_EQ(static_cast<float>(v), 1.0f);
}

TEST(Gemm, BatchedUsesOffsetsIncludingBroadcast) {
  const int64_t m = 4, n = 3, k = 5, batch = 6;
  for (DType dt : {DType::f64, DType::bf16}) {
    std::vector<double> av = random_values(batch * m * k, 7), bv = random_values(k * n, 8);
    std::vector<int64_t> a_off(batch), b_off(batch, 0), c_off(batch);
    for (int64_t i = 0; i < batch; ++i) {
      a_off[i] = i * m * k;
      c_off[i] = (batch - 1 - i) * m * n;  // reversed output order
    }
    std::vector<double> got(batch * m * n);
    if (dt == DType::f64) {
      std::vector<double> c(batch * m * n);
      gemm_batched(dt, false, false, m, n, k, av.data(), k, a_off.data(), bv.data(), n, b_off.data(), 0.0, c.data(), n,
                   c_off.data(), batch);
      got = c;
    } else {
      av = uncast(cast_all<bf16>(av));
      bv = uncast(cast_all<bf16>(bv));
      std::vector<bf16> ab = cast_all<bf16>(av), bb = cast_all<bf16>(bv), c(batch * m * n);
      gemm_batched(dt, false, false, m, n, k, ab.data(), k, a_off.data(), bb.data(), n, b_off.data(), 0.0, c.data(), n,
                   c_off.data(), batch);
      got = uncast(c);
    }
    const double tol = dt == DType::f64 ? 1e-12 : 2e-2;
    for (int64_t bi = 0; bi < batch; ++bi)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double ref = 0;
          for (int64_t p = 0; p < k; ++p) ref += av[a_off[bi] + i * k + p] * bv[p * n + j];
          EXPECT_NEAR(got[c_off[bi] + i * n + j], ref, tol * (1 + std::abs(ref)));
        }
  }
}

TEST(Gemm, FillRowsBroadcastsARow) {
  std::vector<float> row{1, 2, 3}, c(3 * 5, -1.0f);
  fill_rows(DType::f32, 3, 3, row.data(), c.data(), 5);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) EXPECT_EQ(c[i * 5 + j], row[j]);
    for (int j = 3; j < 5; ++j) EXPECT_EQ(c[i * 5 + j], -1.0f);
  }
}

TEST(Gemm, BlasUsesTheOpenMpThreadCount) {
  EXPECT_EQ(blas_num_threads(), omp_get_max_threads());
  EXPECT_NE(std::string(blas_core_name()), "");
}

TEST(EmbeddingKernel, GatherAndValidation) {
  const int64_t vocab = 5, channels = 3, ld = 4;
  std::vector<float> w(vocab * ld);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i);
  std::vector<int32_t> ids{4, 0, 4, 2};
  EXPECT_EQ(embedding_first_invalid(ids.data(), DType::i32, 4, vocab), -1);
  std::vector<float> out(4 * channels);
  embedding_forward(ids.data(), DType::i32, 4, w.data(), DType::f32, channels, ld, out.data());
  for (int i = 0; i < 4; ++i)
    for (int c = 0; c < channels; ++c) EXPECT_EQ(out[i * channels + c], w[ids[i] * ld + c]);
  std::vector<int64_t> bad{1, 2, 5, -1};
  EXPECT_EQ(embedding_first_invalid(bad.data(), DType::i64, 4, vocab), 2);
  EXPECT_EQ(embedding_id_at(bad.data(), DType::i64, 3), -1);
}

TEST(EmbeddingKernel, ScatterAddIsExactAndThreadCountIndependent) {
  const int64_t vocab = 300, channels = 70, n = 2000;
  std::mt19937 gen(5);
  std::vector<int64_t> ids(n);
  for (int64_t& id : ids) id = static_cast<int64_t>(gen() % 40) * 7;  // many repeats, many untouched rows
  std::vector<double> g = random_values(n * channels, 6);
  std::vector<float> gf(g.begin(), g.end());
  std::vector<float> got1(vocab * channels, 9.0f), got2(vocab * channels, 9.0f);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  embedding_backward(ids.data(), DType::i64, n, gf.data(), DType::f32, vocab, channels, got1.data());
  omp_set_num_threads(std::max(threads, 2));
  embedding_backward(ids.data(), DType::i64, n, gf.data(), DType::f32, vocab, channels, got2.data());
  omp_set_num_threads(threads);
  EXPECT_EQ(got1, got2);  // bitwise identical
  std::vector<double> ref(vocab * channels, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < channels; ++c) ref[ids[i] * channels + c] += gf[i * channels + c];
  for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(got2[i], ref[i], 1e-4 * (1 + std::abs(ref[i])));

  std::vector<bf16> gb(n * channels), outb(vocab * channels);
  for (size_t i = 0; i < gb.size(); ++i) gb[i] = bf16(gf[i]);
  embedding_backward(ids.data(), DType::i64, n, gb.data(), DType::bf16, vocab, channels, outb.data());
  // fp32 accumulation of the bf16 values, rounded once to bf16.
  std::vector<double> refb(vocab * channels, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < channels; ++c) refb[ids[i] * channels + c] += static_cast<float>(gb[i * channels + c]);
  for (size_t i = 0; i < refb.size(); ++i)
    ASSERT_NEAR(static_cast<float>(outb[i]), refb[i], std::abs(refb[i]) / 256 + 1e-5);
}

}  // namespace
}  // namespace forge::kernels::cpu
