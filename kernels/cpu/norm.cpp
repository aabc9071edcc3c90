// LayerNorm and RMSNorm kernels (see norm.h). Each row is read in its storage
// type and converted to the accumulation type on the fly; the inner loops are
// branch-free (weight/bias presence is a template parameter) so they vectorise.
#include "kernels/cpu/norm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <vector>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/simd.h"

namespace forge::kernels::cpu {
namespace {

// Fixed number of row chunks for the deterministic dweight/dbias reduction.
constexpr int64_t kReduceChunks = 32;
// Row sums accumulate in one 64-byte vector of lanes (an AVX-512 register, or
// two AVX2 ones) on every machine, so the order of additions is the same everywhere.
constexpr int kLaneBytes = 64;
template <typename A>
using lane_vec = vec<A, kLaneBytes>;

// sum over c of f(x[c]) for a row of C elements converted to A: vector lanes
// (fv on lane_vec<A>), then the tail (fs on A), in a fixed order.
template <typename A, typename T, typename FV, typename FS>
inline A row_sum(const T* x, int64_t C, FV fv, FS fs) {
  constexpr int64_t VL = kLaneBytes / sizeof(A);
  lane_vec<A> acc{};
  int64_t c = 0;
  for (; c + VL <= C; c += VL) acc += fv(vload_as<A, kLaneBytes>(x + c));
  A s = 0;
  for (; c < C; ++c) s += fs(convert<A>(x[c]));
  for (int64_t j = 0; j < VL; ++j) s += acc[j];
  return s;
}

// ---- LayerNorm ---------------------------------------------------------------

template <typename T, bool HasW, bool HasB>
void layer_norm_fwd(const T* x, const T* w, const T* b, T* y, acc_t<T>* mean, acc_t<T>* rstd, int64_t rows,
                    int64_t C, double eps) {
  using A = acc_t<T>;
  const A inv_c = A(1) / static_cast<A>(C);
#pragma omp parallel for schedule(static) if (rows * C > kParallelRowElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* __restrict xr = x + r * C;
    T* __restrict yr = y + r * C;
    A s = row_sum<A>(xr, C, [](lane_vec<A> x) { return x; }, [](A x) { return x; });
    const A m = s * inv_c;
    const A v = row_sum<A>(
        xr, C, [m](lane_vec<A> x) { return (x - m) * (x - m); }, [m](A x) { return (x - m) * (x - m); });
    const A rs = A(1) / std::sqrt(v * inv_c + static_cast<A>(eps));
    mean[r] = m;
    rstd[r] = rs;
    for (int64_t c = 0; c < C; ++c) {
      A o = (convert<A>(xr[c]) - m) * rs;
      if constexpr (HasW) o *= convert<A>(w[c]);
      if constexpr (HasB) o += convert<A>(b[c]);
      yr[c] = convert<T>(o);
    }
  }
}

// Splits rows into chunks, runs body(r0, r1, partial_w, partial_b) on each
// (the body zeroes its partial buffers of C values each), then sums the
// partials in chunk order into dw/db (either may be null). One parallel region
// for both phases: waking the threads twice cost more than the work at GPT-2
// sizes. The partials live in a buffer the calling thread keeps.
template <typename T, typename Body>
void chunked_row_reduce(int64_t rows, int64_t C, T* dw, T* db, Body&& body) {
  using A = acc_t<T>;
  const int64_t chunks = std::max<int64_t>(1, std::min(rows, kReduceChunks));
  thread_local std::vector<A> partials;
  const size_t need = static_cast<size_t>(chunks * C) * ((dw ? 1 : 0) + (db ? 1 : 0));
  if (partials.size() < need) partials.resize(need);
  A* pw = dw ? partials.data() : nullptr;
  A* pb = db ? partials.data() + (dw ? chunks * C : 0) : nullptr;
#pragma omp parallel if (rows * C > kParallelRowElements)
  {
#pragma omp for schedule(static)
    for (int64_t k = 0; k < chunks; ++k) {
      const int64_t r0 = rows * k / chunks, r1 = rows * (k + 1) / chunks;
      body(r0, r1, pw ? pw + k * C : nullptr, pb ? pb + k * C : nullptr);
    }
    if (dw || db) {
#pragma omp for schedule(static)
      for (int64_t c = 0; c < C; ++c) {
        A sw = 0, sb = 0;
        for (int64_t k = 0; k < chunks; ++k) {
          if (pw) sw += pw[k * C + c];
          if (pb) sb += pb[k * C + c];
        }
        if (dw) dw[c] = convert<T>(sw);
        if (db) db[c] = convert<T>(sb);
      }
    }
  }
}

template <typename T, bool HasW>
void layer_norm_bwd(const T* dy, const T* x, const T* w, const acc_t<T>* mean, const acc_t<T>* rstd, T* dx, T* dw,
                    T* db, int64_t rows, int64_t C) {
  using A = acc_t<T>;
  const A inv_c = A(1) / static_cast<A>(C);
  chunked_row_reduce<T>(rows, C, dw, db, [&](int64_t r0, int64_t r1, A* pw, A* pb) {
    if (pw) std::fill(pw, pw + C, A(0));
    if (pb) std::fill(pb, pb + C, A(0));
    // xhat of the current row, computed once and reused by the second pass.
    thread_local std::vector<A> xhat_buf;
    if (static_cast<int64_t>(xhat_buf.size()) < C) xhat_buf.resize(static_cast<size_t>(C));
    A* __restrict xh = xhat_buf.data();
    for (int64_t r = r0; r < r1; ++r) {
      const T* __restrict xr = x + r * C;
      const T* __restrict gr = dy + r * C;
      T* __restrict dxr = dx + r * C;
      const A m = mean[r], rs = rstd[r];
      // First pass: xhat (kept for the others) and the two row sums; then the
      // dweight/dbias partials, then dx.
      // dxhat = dy * w; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
      // The sums run in vector-register lanes (a fixed summation order the
      // compiler keeps in registers; `omp simd reduction` and lane arrays made
      // GCC keep the partial sums on the stack).
      using V = lane_vec<A>;
      constexpr int64_t VL = kLaneBytes / sizeof(A);
      V l1{}, l2{};
      int64_t c0 = 0;
      for (; c0 + VL <= C; c0 += VL) {
        V g = vload_as<A, kLaneBytes>(gr + c0);
        if constexpr (HasW) g *= vload_as<A, kLaneBytes>(w + c0);
        const V h = (vload_as<A, kLaneBytes>(xr + c0) - m) * rs;
        std::memcpy(xh + c0, &h, sizeof(V));
        l1 += g;
        l2 += g * h;
      }
      A s1 = 0, s2 = 0;  // the tail has its own sums, so l1/l2 can stay in registers
      for (int64_t c = c0; c < C; ++c) {
        A g = convert<A>(gr[c]);
        if constexpr (HasW) g *= convert<A>(w[c]);
        const A h = (convert<A>(xr[c]) - m) * rs;
        xh[c] = h;
        s1 += g;
        s2 += g * h;
      }
      for (int64_t j = 0; j < VL; ++j) {
        s1 += l1[j];
        s2 += l2[j];
      }
      if (pw) {
        A* __restrict pwr = pw;
        for (int64_t c = 0; c < C; ++c) pwr[c] += convert<A>(gr[c]) * xh[c];
      }
      if (pb) {
        A* __restrict pbr = pb;
        for (int64_t c = 0; c < C; ++c) pbr[c] += convert<A>(gr[c]);
      }
      s1 *= inv_c;
      s2 *= inv_c;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) {
        A g = convert<A>(gr[c]);
        if constexpr (HasW) g *= convert<A>(w[c]);
        dxr[c] = convert<T>(rs * (g - s1 - xh[c] * s2));
      }
    }
  });
}

// ---- RMSNorm -----------------------------------------------------------------

template <typename T, bool HasW>
void rms_norm_fwd(const T* x, const T* w, T* y, acc_t<T>* rstd, int64_t rows, int64_t C, double eps) {
  using A = acc_t<T>;
  const A inv_c = A(1) / static_cast<A>(C);
#pragma omp parallel for schedule(static) if (rows * C > kParallelRowElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* __restrict xr = x + r * C;
    T* __restrict yr = y + r * C;
    const A ss = row_sum<A>(xr, C, [](lane_vec<A> x) { return x * x; }, [](A x) { return x * x; });
    const A rs = A(1) / std::sqrt(ss * inv_c + static_cast<A>(eps));
    rstd[r] = rs;
    for (int64_t c = 0; c < C; ++c) {
      A o = convert<A>(xr[c]) * rs;
      if constexpr (HasW) o *= convert<A>(w[c]);
      yr[c] = convert<T>(o);
    }
  }
}

template <typename T, bool HasW>
void rms_norm_bwd(const T* dy, const T* x, const T* w, const acc_t<T>* rstd, T* dx, T* dw, int64_t rows, int64_t C) {
  using A = acc_t<T>;
  const A inv_c = A(1) / static_cast<A>(C);
  chunked_row_reduce<T>(rows, C, dw, nullptr, [&](int64_t r0, int64_t r1, A* pw, A*) {
    if (pw) std::fill(pw, pw + C, A(0));
    for (int64_t r = r0; r < r1; ++r) {
      const T* __restrict xr = x + r * C;
      const T* __restrict gr = dy + r * C;
      T* __restrict dxr = dx + r * C;
      const A rs = rstd[r];
      // dxhat = dy * w; dx = rstd * (dxhat - xhat * mean(dxhat * xhat)).
      // Lane sums as in layer_norm_bwd.
      using V = lane_vec<A>;
      constexpr int64_t VL = kLaneBytes / sizeof(A);
      V l2{};
      int64_t c0 = 0;
      for (; c0 + VL <= C; c0 += VL) {
        V g = vload_as<A, kLaneBytes>(gr + c0);
        if constexpr (HasW) g *= vload_as<A, kLaneBytes>(w + c0);
        l2 += g * vload_as<A, kLaneBytes>(xr + c0) * rs;
      }
      A s2 = 0;  // the tail has its own sum, so l2 can stay in registers
      for (int64_t c = c0; c < C; ++c) {
        A g = convert<A>(gr[c]);
        if constexpr (HasW) g *= convert<A>(w[c]);
        s2 += g * convert<A>(xr[c]) * rs;
      }
      for (int64_t j = 0; j < VL; ++j) s2 += l2[j];
      s2 *= inv_c;
      for (int64_t c = 0; c < C; ++c) {
        A g = convert<A>(gr[c]);
        if constexpr (HasW) g *= convert<A>(w[c]);
        const A xh = convert<A>(xr[c]) * rs;
        dxr[c] = convert<T>(rs * (g - xh * s2));
      }
      if (pw) {
        for (int64_t c = 0; c < C; ++c) pw[c] += convert<A>(gr[c]) * (convert<A>(xr[c]) * rs);
      }
    }
  });
}

}  // namespace

void layer_norm_forward(const void* x, const void* weight, const void* bias, void* y, void* mean, void* rstd,
                        int64_t rows, int64_t C, double eps, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    auto* xp = static_cast<const T*>(x);
    auto* wp = static_cast<const T*>(weight);
    auto* bp = static_cast<const T*>(bias);
    auto* yp = static_cast<T*>(y);
    auto* mp = static_cast<A*>(mean);
    auto* rp = static_cast<A*>(rstd);
    if (wp && bp) layer_norm_fwd<T, true, true>(xp, wp, bp, yp, mp, rp, rows, C, eps);
    else if (wp) layer_norm_fwd<T, true, false>(xp, wp, bp, yp, mp, rp, rows, C, eps);
    else if (bp) layer_norm_fwd<T, false, true>(xp, wp, bp, yp, mp, rp, rows, C, eps);
    else layer_norm_fwd<T, false, false>(xp, wp, bp, yp, mp, rp, rows, C, eps);
  });
}

void layer_norm_backward(const void* dy, const void* x, const void* weight, const void* mean, const void* rstd,
                         void* dx, void* dweight, void* dbias, int64_t rows, int64_t C, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    auto args = std::make_tuple(static_cast<const T*>(dy), static_cast<const T*>(x), static_cast<const T*>(weight),
                                static_cast<const A*>(mean), static_cast<const A*>(rstd), static_cast<T*>(dx),
                                static_cast<T*>(dweight), static_cast<T*>(dbias), rows, C);
    if (weight) std::apply(layer_norm_bwd<T, true>, args);
    else std::apply(layer_norm_bwd<T, false>, args);
  });
}

void rms_norm_forward(const void* x, const void* weight, void* y, void* rstd, int64_t rows, int64_t C, double eps,
                      DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    auto args = std::make_tuple(static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<T*>(y),
                                static_cast<A*>(rstd), rows, C, eps);
    if (weight) std::apply(rms_norm_fwd<T, true>, args);
    else std::apply(rms_norm_fwd<T, false>, args);
  });
}

void rms_norm_backward(const void* dy, const void* x, const void* weight, const void* rstd, void* dx, void* dweight,
                       int64_t rows, int64_t C, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    auto args = std::make_tuple(static_cast<const T*>(dy), static_cast<const T*>(x), static_cast<const T*>(weight),
                                static_cast<const A*>(rstd), static_cast<T*>(dx), static_cast<T*>(dweight), rows, C);
    if (weight) std::apply(rms_norm_bwd<T, true>, args);
    else std::apply(rms_norm_bwd<T, false>, args);
  });
}

}  // namespace forge::kernels::cpu
