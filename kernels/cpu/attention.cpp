// Tiled causal attention forward and backward (see attention.h).
//
// Every matrix product on a tile (64 x 64 x D by default) is written as
// "rows of C += scalar * row of B" with B's rows contiguous: broadcast-FMA
// loops over a 6 x 16 block of C held in registers (GCC/Clang vector types).
// Products that need K or V with keys along the fast axis (S = Q K^T,
// dP = dO V^T) read a transposed, zero-padded copy (D, Tpad) built once per
// (batch, kv head). Tiles on the diagonal trim each product to the causal band,
// and tile pairs that are fully masked (future keys, other documents) are skipped.
#include "kernels/cpu/attention.h"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "common/error.h"
#include "kernels/cpu/simd.h"
#include "kernels/cpu/vec_math.h"

namespace forge::kernels::cpu {
namespace {

// Vectors (kernels/cpu/simd.h) are as wide as the CPU's registers under
// -march=native: 512 bits with AVX-512 (16 floats; with kMR = 8, attention
// forward+backward at T=256 went from 10.2 to 6.6 ms on a Zen 5 VM, which has
// full-width AVX-512 units), else 256 bits (AVX2).
// Rows of C per register block: MR x 2 vectors of accumulators, plus two of B.
#if defined(__AVX512F__)
constexpr int64_t kMR = 8;  // 16 + 2 of the 32 AVX-512 registers (12 rows: slower at T=256)
#else
constexpr int64_t kMR = 6;  // 12 + 2 of the 16 AVX2 registers
#endif
// Rows [0, MR) of C (columns [0, n), row stride ldc) (+)= A (MR, depth range
// [p0, p1); element (i, p) at A[i * a_rs + p * a_cs]) * B (rows p, row stride
// ldb). An MR x 2-vector block of C stays in registers (see kMR).
template <typename T, int MR>
void gemm_block(int64_t n, int64_t p0, int64_t p1, const T* A, int64_t a_rs, int64_t a_cs, const T* __restrict B,
                int64_t ldb, T* __restrict C, int64_t ldc, bool accumulate) {
  using V = vec<T>;
  constexpr int64_t L = kLanes<T>, kNV = 2, kW = kNV * L;
  int64_t j0 = 0;
  for (; j0 + kW <= n; j0 += kW) {
    V acc[MR][kNV];
    for (int r = 0; r < MR; ++r)
      for (int u = 0; u < kNV; ++u) acc[r][u] = accumulate ? vload(C + r * ldc + j0 + u * L) : V{};
    for (int64_t p = p0; p < p1; ++p) {
      const T* b = B + p * ldb + j0;
      V bv[kNV];
      for (int u = 0; u < kNV; ++u) bv[u] = vload(b + u * L);
      for (int r = 0; r < MR; ++r) {
        const T x = A[r * a_rs + p * a_cs];
        for (int u = 0; u < kNV; ++u) acc[r][u] += x * bv[u];
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int u = 0; u < kNV; ++u) vstore(C + r * ldc + j0 + u * L, acc[r][u]);
  }
  for (int64_t j = j0; j < n; ++j) {
    for (int r = 0; r < MR; ++r) {
      T acc = accumulate ? C[r * ldc + j] : T(0);
      for (int64_t p = p0; p < p1; ++p) acc += A[r * a_rs + p * a_cs] * B[p * ldb + j];
      C[r * ldc + j] = acc;
    }
  }
}

// Which part of a tile product the causal mask leaves nonzero, so that row
// blocks on the diagonal skip work whose result is masked or multiplied by 0.
// `off` is q0 - k0 (query tile start minus key tile start); with query row r
// and key column c, entry (r, c) is live when c <= r + off.
enum class Band {
  kFull,        // no trimming
  kCols,        // C rows are queries, C columns keys: columns past the band are left unwritten
  kDepthUpper,  // C rows are queries, depth is keys: stop the depth at the band
  kDepthLower,  // C rows are keys, depth is queries: start the depth at the band
};

// C (m, n) (+)= A (m, kd) * B (kd, n), with A strided as in gemm_block.
template <typename T>
void gemm_rows(int64_t m, int64_t n, int64_t kd, const T* A, int64_t a_rs, int64_t a_cs, const T* B, int64_t ldb,
               T* C, int64_t ldc, bool accumulate, Band band = Band::kFull, int64_t off = 0) {
  constexpr int64_t kW = 2 * kLanes<T>;
  for (int64_t i = 0; i < m; i += kMR) {
    const int64_t mr = std::min<int64_t>(kMR, m - i);
    int64_t nb = n, p0 = 0, p1 = kd;
    if (band == Band::kCols) nb = std::min(n, (std::max<int64_t>(i + mr + off, 0) + kW - 1) / kW * kW);
    if (band == Band::kDepthUpper) p1 = std::clamp<int64_t>(i + mr + off, 0, kd);
    if (band == Band::kDepthLower) p0 = std::clamp<int64_t>(i - off, 0, kd);
    const T* a = A + i * a_rs;
    T* c = C + i * ldc;
    switch (mr) {
#if defined(__AVX512F__)
      case 8: gemm_block<T, 8>(nb, p0, p1, a, a_rs, a_cs, B, ldb, c, ldc, accumulate); break;
      case 7: gemm_block<T, 7>(nb, p0, p1, a, a_rs, a_cs, B, ldb, c, ldc, accumulate); break;
#endif
      case 6: gemm_block<T, 6>(nb, p0, p1, a, a_rs, a_cs, B, ldb, c, ldc, accumulate); break;
      case 5: gemm_block<T, 5>(nb, p0, p1, a, a_rs, a_cs, B, ldb, c, ldc, accumulate); break;
      case 4: gemm_block<T, 4>(nb, p0, p1, a, a_rs, a_cs, B, ldb, c, ldc, accumulate); break;
      case 3: gemm_block<T, 3>(nb, p0, p1, a, a_rs, a_cs, B, ldb, c, ldc, accumulate); break;
      case 2: gemm_block<T, 2>(nb, p0, p1, a, a_rs, a_cs, B, ldb, c, ldc, accumulate); break;
      default: gemm_block<T, 1>(nb, p0, p1, a, a_rs, a_cs, B, ldb, c, ldc, accumulate); break;
    }
  }
}

// x[c] = exp(x[c] * mul - sub) for c in [0, n).
inline void exp_row(float* x, int64_t n, float mul, float sub) {
  constexpr int64_t L = kLanes<float>;
  int64_t j = 0;
  for (; j + L <= n; j += L) vstore(x + j, exp_taylor(vload(x + j) * mul - sub));
  for (; j < n; ++j) x[j] = exp_taylor(x[j] * mul - sub);
}
inline void exp_row(double* x, int64_t n, double mul, double sub) {
  for (int64_t j = 0; j < n; ++j) x[j] = std::exp(x[j] * mul - sub);
}

// ds[c] = scale * p[c] * (ds[c] - delta), and 0 where p is 0 (masked entries,
// whose ds may be unwritten scores past the causal band).
template <typename T>
inline void ds_row(T* __restrict ds, const T* __restrict p, int64_t n, T scale, T delta) {
  using V = vec<T>;
  constexpr int64_t L = kLanes<T>;
  int64_t j = 0;
  for (; j + L <= n; j += L) {
    const V pv = vload(p + j);
    const V r = scale * pv * (vload(ds + j) - delta);
    vstore(ds + j, pv != T(0) ? r : V{});
  }
  for (; j < n; ++j) ds[j] = p[j] != T(0) ? scale * p[j] * (ds[j] - delta) : T(0);
}

template <typename T>
inline T row_max(const T* x, int64_t n) {
  using V = vec<T>;
  constexpr int64_t L = kLanes<T>;
  T mx = -std::numeric_limits<T>::infinity();
  int64_t j = 0;
  if (n >= L) {
    V acc = vload(x);
    for (j = L; j + L <= n; j += L) {
      const V v = vload(x + j);
      acc = acc > v ? acc : v;
    }
    for (int64_t u = 0; u < L; ++u) mx = std::max(mx, acc[u]);
  }
  for (; j < n; ++j) mx = std::max(mx, x[j]);
  return mx;
}

template <typename T>
inline T row_sum(const T* x, int64_t n) {
  using V = vec<T>;
  constexpr int64_t L = kLanes<T>;
  V acc{};
  int64_t j = 0;
  for (; j + L <= n; j += L) acc += vload(x + j);
  T sum = 0;
  for (int64_t u = 0; u < L; ++u) sum += acc[u];
  for (; j < n; ++j) sum += x[j];
  return sum;
}

// kt: (D, tpad) <- x: (T, D) with row stride ld, transposed, zero beyond T.
template <typename T>
void transpose_pad(const T* x, int64_t ld, T* kt, int64_t t, int64_t d, int64_t tpad) {
  for (int64_t c = 0; c < d; ++c) {
    T* row = kt + c * tpad;
    for (int64_t s = 0; s < t; ++s) row[s] = x[s * ld + c];
    for (int64_t s = t; s < tpad; ++s) row[s] = T(0);
  }
}

inline void doc_range(const int64_t* doc, int64_t begin, int64_t end, int64_t& lo, int64_t& hi) {
  lo = std::numeric_limits<int64_t>::max();
  hi = std::numeric_limits<int64_t>::min();
  for (int64_t s = begin; s < end; ++s) {
    lo = std::min(lo, doc[s]);
    hi = std::max(hi, doc[s]);
  }
}

// Sets masked scores of one row to -inf: keys after the query (including the
// zero padding past T), and keys of another document when doc is given.
// row: (bk) scores of query qpos against keys k0 .. k0 + bk.
template <typename T>
inline void mask_row(T* __restrict row, int64_t bk, int64_t k0, int64_t qpos, const int64_t* doc, int64_t t) {
  const T ninf = -std::numeric_limits<T>::infinity();
  const int64_t valid = std::clamp<int64_t>(std::min(qpos + 1, t) - k0, 0, bk);
  if (doc != nullptr) {
    const int64_t dq = doc[qpos];
    const int64_t* dk = doc + k0;
    for (int64_t c = 0; c < valid; ++c) row[c] = dk[c] == dq ? row[c] : ninf;
  }
  for (int64_t c = valid; c < bk; ++c) row[c] = ninf;
}

// Zeroes rows [0, t) of a (T, D) operand with row stride ld.
template <typename T>
void zero_rows(T* x, int64_t ld, int64_t t, int64_t d) {
  for (int64_t s = 0; s < t; ++s) std::fill(x + s * ld, x + s * ld + d, T(0));
}

// Whether a (query tile, key tile) pair has any unmasked entry.
inline bool tile_live(int64_t q0, int64_t q1, int64_t k0, int64_t k1, const int64_t* doc) {
  if (k0 >= q1) return false;  // every key after every query
  if (doc == nullptr) return true;
  int64_t qlo, qhi, klo, khi;
  doc_range(doc, q0, q1, qlo, qhi);
  doc_range(doc, k0, k1, klo, khi);
  return klo <= qhi && qlo <= khi;
}

template <typename T>
void forward_typed(const AttentionDims& dm, const AttentionLayout& ly, const T* q, const T* k, const T* v,
                   const int64_t* doc_ids, T scale, T* out, T* lse, int64_t bq, int64_t bk) {
  const int64_t B = dm.batch, Hq = dm.q_heads, Hkv = dm.kv_heads, t = dm.seq, d = dm.head_dim;
  const int64_t group = Hq / Hkv;
  const int64_t n_qt = (t + bq - 1) / bq;
  const int64_t tpad = (t + bk - 1) / bk * bk;
  const T ninf = -std::numeric_limits<T>::infinity();

  // kt_all: (B, Hkv, D, tpad), K transposed per head (every element written below).
  std::unique_ptr<T[]> kt_all(new T[static_cast<size_t>(B * Hkv * d * tpad)]);
  // Small problems run on the calling thread: a parallel region costs more than they do.
  const bool parallel = static_cast<double>(B) * Hq * t * t * d > kParallelAttentionMacs;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t bh = 0; bh < B * Hkv; ++bh)
    transpose_pad(k + bh / Hkv * ly.k.batch + bh % Hkv * ly.k.head, ly.k.row, kt_all.get() + bh * d * tpad, t, d,
                  tpad);

  const int64_t tasks = B * Hq * n_qt;
#pragma omp parallel if (parallel)
  {
    std::vector<T> qs(static_cast<size_t>(bq * d)), s(static_cast<size_t>(bq * bk)), o(static_cast<size_t>(bq * d));
    std::vector<T> m(static_cast<size_t>(bq)), l(static_cast<size_t>(bq));
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; ++task) {
      // Within each head, the largest (latest) query tiles come first, for load balance.
      const int64_t qt = n_qt - 1 - task % n_qt;
      const int64_t bh = task / n_qt;
      const int64_t b = bh / Hq, h = bh % Hq, kvh = h / group;
      const int64_t q0 = qt * bq, mq = std::min(bq, t - q0);
      const T* qp = q + b * ly.q.batch + h * ly.q.head + q0 * ly.q.row;
      const T* kt = kt_all.get() + (b * Hkv + kvh) * d * tpad;
      const T* vp = v + b * ly.v.batch + kvh * ly.v.head;
      const int64_t* doc = doc_ids ? doc_ids + b * t : nullptr;

      for (int64_t r = 0; r < mq; ++r)
        for (int64_t c = 0; c < d; ++c) qs[r * d + c] = qp[r * ly.q.row + c] * scale;
      std::fill(o.begin(), o.end(), T(0));
      std::fill(m.begin(), m.end(), ninf);
      std::fill(l.begin(), l.end(), T(0));

      for (int64_t k0 = 0; k0 < q0 + mq; k0 += bk) {
        const int64_t nk = std::min(bk, t - k0);
        if (!tile_live(q0, q0 + mq, k0, k0 + nk, doc)) continue;
        // s: (mq, bk) = qs (mq, D) @ kt[:, k0:k0+bk] (D, bk)
        gemm_rows<T>(mq, bk, d, qs.data(), d, 1, kt + k0, tpad, s.data(), bk, false, Band::kCols, q0 - k0);
        const bool masked = doc != nullptr || k0 + bk - 1 > q0;
        for (int64_t r = 0; r < mq; ++r) {
          T* row = s.data() + r * bk;
          if (masked) mask_row(row, bk, k0, q0 + r, doc, t);
          const T mx = row_max(row, bk);
          const T m_new = std::max(m[r], mx);
          const T base = m_new == ninf ? T(0) : m_new;
          const T alpha = exp_taylor(m[r] - base);
          exp_row(row, bk, T(1), base);
          l[r] = l[r] * alpha + row_sum(row, bk);
          m[r] = m_new;
          if (alpha != T(1)) {
            T* orow = o.data() + r * d;
            for (int64_t c = 0; c < d; ++c) orow[c] *= alpha;
          }
        }
        // o (mq, D) += p (mq, nk) @ v[k0:k0+nk] (nk, D)
        gemm_rows<T>(mq, d, nk, s.data(), bk, 1, vp + k0 * ly.v.row, ly.v.row, o.data(), d, true, Band::kDepthUpper,
                     q0 - k0);
      }
      T* op = out + b * ly.out.batch + h * ly.out.head + q0 * ly.out.row;
      T* lp = lse + bh * t + q0;
      for (int64_t r = 0; r < mq; ++r) {
        // Every row sees at least its own key, so l > 0.
        const T inv = T(1) / l[r];
        for (int64_t c = 0; c < d; ++c) op[r * ly.out.row + c] = o[r * d + c] * inv;
        lp[r] = m[r] + std::log(l[r]);
      }
    }
  }
}

template <typename T>
void backward_typed(const AttentionDims& dm, const AttentionLayout& ly, const T* q, const T* k, const T* v,
                    const int64_t* doc_ids, T scale, const T* out, const T* lse, const T* dout, T* dq, T* dk, T* dv,
                    int64_t bq, int64_t bk) {
  const int64_t B = dm.batch, Hq = dm.q_heads, Hkv = dm.kv_heads, t = dm.seq, d = dm.head_dim;
  const int64_t group = Hq / Hkv;
  const int64_t tpad = (t + bk - 1) / bk * bk;
  const bool parallel = static_cast<double>(B) * Hq * t * t * d > kParallelAttentionMacs;

#pragma omp parallel if (parallel)
  {
    std::vector<T> kt(static_cast<size_t>(d * tpad)), vt(static_cast<size_t>(d * tpad));
    std::vector<T> delta(static_cast<size_t>(group * t));
    std::vector<T> p(static_cast<size_t>(bq * bk)), ds(static_cast<size_t>(bq * bk));
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < B * Hkv; ++task) {
      const int64_t b = task / Hkv, kvh = task % Hkv;
      const T* kp = k + b * ly.k.batch + kvh * ly.k.head;
      const T* vp = v + b * ly.v.batch + kvh * ly.v.head;
      T* dkp = dk + b * ly.dk.batch + kvh * ly.dk.head;
      T* dvp = dv + b * ly.dv.batch + kvh * ly.dv.head;
      const int64_t* doc = doc_ids ? doc_ids + b * t : nullptr;
      transpose_pad(kp, ly.k.row, kt.data(), t, d, tpad);
      transpose_pad(vp, ly.v.row, vt.data(), t, d, tpad);
      zero_rows(dkp, ly.dk.row, t, d);
      zero_rows(dvp, ly.dv.row, t, d);
      // delta[g, i] = rowsum(dO_i * O_i) for each query head of the group.
      for (int64_t g = 0; g < group; ++g) {
        const int64_t h = kvh * group + g;
        zero_rows(dq + b * ly.dq.batch + h * ly.dq.head, ly.dq.row, t, d);
        for (int64_t i = 0; i < t; ++i) {
          const T* o_row = out + b * ly.out.batch + h * ly.out.head + i * ly.out.row;
          const T* do_row = dout + b * ly.dout.batch + h * ly.dout.head + i * ly.dout.row;
          T acc = 0;
          for (int64_t c = 0; c < d; ++c) acc += o_row[c] * do_row[c];
          delta[g * t + i] = acc;
        }
      }
      for (int64_t k0 = 0; k0 < t; k0 += bk) {
        const int64_t nk = std::min(bk, t - k0);
        for (int64_t g = 0; g < group; ++g) {
          const int64_t h = kvh * group + g, bh = b * Hq + h;
          const T* qh = q + b * ly.q.batch + h * ly.q.head;
          const T* doh = dout + b * ly.dout.batch + h * ly.dout.head;
          const T* lh = lse + bh * t;
          T* dqh = dq + b * ly.dq.batch + h * ly.dq.head;
          for (int64_t q0 = k0 / bq * bq; q0 < t; q0 += bq) {
            const int64_t mq = std::min(bq, t - q0);
            if (!tile_live(q0, q0 + mq, k0, k0 + nk, doc)) continue;
            const T* qi = qh + q0 * ly.q.row;
            const T* doi = doh + q0 * ly.dout.row;
            // p (mq, bk) = exp(scale * q_i k_j^T - lse)
            gemm_rows<T>(mq, bk, d, qi, ly.q.row, 1, kt.data() + k0, tpad, p.data(), bk, false, Band::kCols, q0 - k0);
            const bool masked = doc != nullptr || k0 + bk - 1 > q0;
            for (int64_t r = 0; r < mq; ++r) {
              T* row = p.data() + r * bk;
              if (masked) mask_row(row, bk, k0, q0 + r, doc, t);
              const T lr = lh[q0 + r];
              exp_row(row, bk, scale, lr);
            }
            // dv_j (nk, D) += p^T (nk, mq) @ dO_i (mq, D)
            gemm_rows<T>(nk, d, mq, p.data(), 1, bk, doi, ly.dout.row, dvp + k0 * ly.dv.row, ly.dv.row, true,
                         Band::kDepthLower, q0 - k0);
            // ds (mq, bk) = dO_i (mq, D) @ v_j^T (D, bk), then ds = scale * p * (ds - delta)
            gemm_rows<T>(mq, bk, d, doi, ly.dout.row, 1, vt.data() + k0, tpad, ds.data(), bk, false, Band::kCols,
                         q0 - k0);
            for (int64_t r = 0; r < mq; ++r) {
              T* dsr = ds.data() + r * bk;
              const T* pr = p.data() + r * bk;
              const T dl = delta[g * t + q0 + r];
              ds_row(dsr, pr, bk, scale, dl);
            }
            // dq_i (mq, D) += ds (mq, nk) @ k_j (nk, D)
            gemm_rows<T>(mq, d, nk, ds.data(), bk, 1, kp + k0 * ly.k.row, ly.k.row, dqh + q0 * ly.dq.row, ly.dq.row,
                         true, Band::kDepthUpper, q0 - k0);
            // dk_j (nk, D) += ds^T (nk, mq) @ q_i (mq, D)
            gemm_rows<T>(nk, d, mq, ds.data(), 1, bk, qi, ly.q.row, dkp + k0 * ly.dk.row, ly.dk.row, true,
                         Band::kDepthLower, q0 - k0);
          }
        }
      }
    }
  }
}

void check_args(const AttentionDims& dm, const AttentionTiles& tiles) {
  FORGE_CHECK(dm.kv_heads > 0 && dm.q_heads % dm.kv_heads == 0,
              "attention kernel: q_heads " << dm.q_heads << " is not a multiple of kv_heads " << dm.kv_heads);
  FORGE_CHECK(tiles.q > 0 && tiles.k > 0, "attention kernel: tile sizes must be positive, got " << tiles.q << " x "
                                                                                            << tiles.k);
}

}  // namespace

void attention_forward(DType dtype, const AttentionDims& dims, const void* q, const void* k, const void* v,
                       const int64_t* doc_ids, double scale, void* out, void* lse, const AttentionTiles& tiles) {
  attention_forward(dtype, dims, AttentionLayout::contiguous(dims), q, k, v, doc_ids, scale, out, lse, tiles);
}

void attention_backward(DType dtype, const AttentionDims& dims, const void* q, const void* k, const void* v,
                        const int64_t* doc_ids, double scale, const void* out, const void* lse, const void* dout,
                        void* dq, void* dk, void* dv, const AttentionTiles& tiles) {
  attention_backward(dtype, dims, AttentionLayout::contiguous(dims), q, k, v, doc_ids, scale, out, lse, dout, dq, dk,
                     dv, tiles);
}

void attention_forward(DType dtype, const AttentionDims& dims, const AttentionLayout& layout, const void* q,
                       const void* k, const void* v, const int64_t* doc_ids, double scale, void* out, void* lse,
                       const AttentionTiles& tiles) {
  check_args(dims, tiles);
  if (dims.batch * dims.q_heads * dims.seq == 0) return;
  if (dtype == DType::f32) {
    forward_typed<float>(dims, layout, static_cast<const float*>(q), static_cast<const float*>(k),
                         static_cast<const float*>(v), doc_ids, static_cast<float>(scale), static_cast<float*>(out),
                         static_cast<float*>(lse), tiles.q, tiles.k);
  } else if (dtype == DType::f64) {
    forward_typed<double>(dims, layout, static_cast<const double*>(q), static_cast<const double*>(k),
                          static_cast<const double*>(v), doc_ids, scale, static_cast<double*>(out),
                          static_cast<double*>(lse), tiles.q, tiles.k);
  } else {
    FORGE_THROW("attention kernel: expected f32 or f64 buffers, got " << dtype_name(dtype));
  }
}

void attention_backward(DType dtype, const AttentionDims& dims, const AttentionLayout& layout, const void* q,
                        const void* k, const void* v, const int64_t* doc_ids, double scale, const void* out,
                        const void* lse, const void* dout, void* dq, void* dk, void* dv, const AttentionTiles& tiles) {
  check_args(dims, tiles);
  if (dims.batch * dims.q_heads * dims.seq == 0) return;
  if (dtype == DType::f32) {
    backward_typed<float>(dims, layout, static_cast<const float*>(q), static_cast<const float*>(k),
                          static_cast<const float*>(v), doc_ids, static_cast<float>(scale),
                          static_cast<const float*>(out), static_cast<const float*>(lse),
                          static_cast<const float*>(dout), static_cast<float*>(dq), static_cast<float*>(dk),
                          static_cast<float*>(dv), tiles.q, tiles.k);
  } else if (dtype == DType::f64) {
    backward_typed<double>(dims, layout, static_cast<const double*>(q), static_cast<const double*>(k),
                           static_cast<const double*>(v), doc_ids, scale, static_cast<const double*>(out),
                           static_cast<const double*>(lse), static_cast<const double*>(dout),
                           static_cast<double*>(dq), static_cast<double*>(dk), static_cast<double*>(dv), tiles.q,
                           tiles.k);
  } else {
    FORGE_THROW("attention kernel: expected f32 or f64 buffers, got " << dtype_name(dtype));
  }
}

}  // namespace forge::kernels::cpu
