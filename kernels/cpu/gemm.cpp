// GEMM over OpenBLAS for f32/f64, and the tiled fp32 path for bf16/f16 (see gemm.h).
#include "kernels/cpu/gemm.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/simd.h"

namespace forge::kernels::cpu {
namespace {

// Batched products at most this large (m*n*k) run in parallel over the batch.
constexpr int64_t kSmallGemm = int64_t{1} << 22;

// dst (rows, cols), contiguous fp32 <- src (rows, cols) with row stride ld.
template <typename T>
void load_block(const T* src, int64_t ld, int64_t rows, int64_t cols, float* dst) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelBulkElements)
  for (int64_t r = 0; r < rows; ++r) load_f32(src + r * ld, dst + r * cols, cols);
}

template <typename T>
void store_block(const float* src, int64_t rows, int64_t cols, T* dst, int64_t ld) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelBulkElements)
  for (int64_t r = 0; r < rows; ++r) store_lowp(src + r * cols, dst + r * ld, cols);
}

// Per-thread fp32 scratch, grown on demand and kept for the next call.
float* scratch(int slot, int64_t n) {
  thread_local std::vector<float> bufs[3];
  std::vector<float>& v = bufs[slot];
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

inline CBLAS_TRANSPOSE tr(bool t) { return t ? CblasTrans : CblasNoTrans; }

// ---- one GEMM per dtype ----------------------------------------------------

template <typename T>
void gemm_lowp(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb,
               float beta, T* c, int64_t ldc) {
  const int64_t tm = std::min(m, kLowpTileM), tn = std::min(n, kLowpTileN), tk = std::min(k, kLowpTileK);
  float* abuf = scratch(0, tm * tk);
  float* bbuf = scratch(1, tk * tn);
  float* cbuf = scratch(2, tm * tn);
  const bool a_once = k <= tk;             // one K tile: each A row-block is converted once
  const bool b_once = k <= tk && n <= tn;  // B fits one tile: converted once in all
  // A tile (rows i0.., cols k0..) of op(A), stored as op requires: (mb, kb) or (kb, mb).
  auto load_a = [&](int64_t i0, int64_t mb, int64_t k0, int64_t kb) {
    if (!ta) load_block(a + i0 * lda + k0, lda, mb, kb, abuf);
    else load_block(a + k0 * lda + i0, lda, kb, mb, abuf);
  };
  auto load_b = [&](int64_t k0, int64_t kb, int64_t j0, int64_t nb) {
    if (!tb) load_block(b + k0 * ldb + j0, ldb, kb, nb, bbuf);
    else load_block(b + j0 * ldb + k0, ldb, nb, kb, bbuf);
  };
  if (b_once) load_b(0, k, 0, n);
  for (int64_t i0 = 0; i0 < m; i0 += tm) {
    const int64_t mb = std::min(tm, m - i0);
    if (a_once) load_a(i0, mb, 0, k);
    for (int64_t j0 = 0; j0 < n; j0 += tn) {
      const int64_t nb = std::min(tn, n - j0);
      if (beta != 0.0f) load_block(c + i0 * ldc + j0, ldc, mb, nb, cbuf);
      for (int64_t k0 = 0; k0 < k; k0 += tk) {
        const int64_t kb = std::min(tk, k - k0);
        if (!a_once) load_a(i0, mb, k0, kb);
        if (!b_once) load_b(k0, kb, j0, nb);
        cblas_sgemm(CblasRowMajor, tr(ta), tr(tb), static_cast<int>(mb), static_cast<int>(nb), static_cast<int>(kb),
                    1.0f, abuf, static_cast<int>(ta ? mb : kb), bbuf, static_cast<int>(tb ? kb : nb),
                    k0 == 0 ? beta : 1.0f, cbuf, static_cast<int>(nb));
      }
      store_block(cbuf, mb, nb, c + i0 * ldc + j0, ldc);
    }
  }
}

// k == 0: C = beta * C (beta == 0 writes zeros without reading C).
template <typename T>
void scale_c(int64_t m, int64_t n, double beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    for (int64_t j = 0; j < n; ++j)
      row[j] = beta == 0.0 ? convert<T>(0.0f) : convert<T>(static_cast<acc_t<T>>(beta) * convert<acc_t<T>>(row[j]));
  }
}

template <typename T>
void gemm_one(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb,
              double beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, tr(ta), tr(tb), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), static_cast<float>(beta), c, static_cast<int>(ldc));
  } else if constexpr (std::is_same_v<T, double>) {
    cblas_dgemm(CblasRowMajor, tr(ta), tr(tb), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
  } else {
    gemm_lowp(ta, tb, m, n, k, a, lda, b, ldb, static_cast<float>(beta), c, ldc);
  }
}

// Validates sizes against 32-bit BLAS and BLAS's leading-dimension rules;
// a leading dim of a single-row operand is irrelevant and gets normalised.
void check_args(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t& lda, int64_t& ldb, int64_t& ldc) {
  FORGE_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size (m=" << m << ", n=" << n << ", k=" << k << ")");
  auto fix_ld = [](const char* which, int64_t& ld, int64_t rows, int64_t cols) {
    const int64_t need = std::max<int64_t>(1, cols);
    if (rows <= 1 && ld < need) ld = need;
    FORGE_CHECK(ld >= need, "gemm: leading dimension of " << which << " is " << ld << ", needs at least " << need);
  };
  fix_ld("A", lda, ta ? k : m, ta ? m : k);
  fix_ld("B", ldb, tb ? n : k, tb ? k : n);
  fix_ld("C", ldc, m, n);
  constexpr int64_t kMax = INT_MAX;
  FORGE_CHECK(m <= kMax && n <= kMax && k <= kMax && lda <= kMax && ldb <= kMax && ldc <= kMax,
              "gemm: sizes (m=" << m << ", n=" << n << ", k=" << k << ") or leading dims exceed 32-bit BLAS limits");
}

template <typename Fn>
void dispatch_gemm(DType dtype, Fn&& fn) {
  FORGE_CHECK(is_floating(dtype), "gemm: expected a floating dtype, got " << dtype_name(dtype));
  dispatch_float(dtype, std::forward<Fn>(fn));
}

}  // namespace

void gemm(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
          const void* b, int64_t ldb, double beta, void* c, int64_t ldc) {
  check_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
  dispatch_gemm(dtype, [&](auto tag) {
    using T = decltype(tag);
    gemm_one(trans_a, trans_b, m, n, k, static_cast<const T*>(a), lda, static_cast<const T*>(b), ldb, beta,
             static_cast<T*>(c), ldc);
  });
}

void gemm_batched(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
                  const int64_t* a_off, const void* b, int64_t ldb, const int64_t* b_off, double beta, void* c,
                  int64_t ldc, const int64_t* c_off, int64_t batch) {
  check_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
  if (batch <= 0) return;
  const bool small = m * n * k <= kSmallGemm || batch >= 4 * omp_get_max_threads();
  dispatch_gemm(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* ap = static_cast<const T*>(a);
    const T* bp = static_cast<const T*>(b);
    T* cp = static_cast<T*>(c);
#pragma omp parallel for schedule(static) if (small && batch > 1)
    for (int64_t i = 0; i < batch; ++i)
      gemm_one(trans_a, trans_b, m, n, k, ap + a_off[i], lda, bp + b_off[i], ldb, beta, cp + c_off[i], ldc);
  });
}

void fill_rows(DType dtype, int64_t m, int64_t n, const void* row, void* c, int64_t ldc) {
  const size_t bytes = static_cast<size_t>(n) * dtype_size(dtype);
  const char* src = static_cast<const char*>(row);
  char* dst = static_cast<char*>(c);
  const int64_t row_bytes = ldc * static_cast<int64_t>(dtype_size(dtype));
#pragma omp parallel for schedule(static) if (m * n >= kParallelBulkElements)
  for (int64_t i = 0; i < m; ++i) std::memcpy(dst + i * row_bytes, src, bytes);
}

int blas_num_threads() { return openblas_get_num_threads(); }

const char* blas_core_name() { return openblas_get_corename(); }

}  // namespace forge::kernels::cpu
