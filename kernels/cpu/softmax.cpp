// Softmax / log-softmax kernels (see softmax.h). Rows (inner == 1) use a
// max pass, an exp-sum pass and a scale pass over the row; slabs (inner > 1)
// keep per-column max and sum in small buffers and sweep the slab row by row.
#include "kernels/cpu/softmax.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <limits>
#include <vector>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/vec_math.h"

namespace forge::kernels::cpu {
namespace {


template <typename T>
void softmax_rows(const T* x, T* y, int64_t rows, int64_t n, bool log) {
  using A = acc_t<T>;
#pragma omp parallel for schedule(static) if (rows * n > kParallelRowElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* __restrict xr = x + r * n;
    T* __restrict yr = y + r * n;
    A m = -std::numeric_limits<A>::infinity();
#pragma omp simd reduction(max : m)
    for (int64_t i = 0; i < n; ++i) m = std::max(m, convert<A>(xr[i]));
    A s = 0;
    if (log) {
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < n; ++i) s += exp_approx(convert<A>(xr[i]) - m);
      const A lse = m + std::log(s);
      for (int64_t i = 0; i < n; ++i) yr[i] = convert<T>(convert<A>(xr[i]) - lse);
    } else if constexpr (std::is_same_v<T, A>) {
      // Write exp into y first, then scale it in place.
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < n; ++i) {
        const A e = exp_approx(xr[i] - m);
        yr[i] = e;
        s += e;
      }
      const A inv = A(1) / s;
      for (int64_t i = 0; i < n; ++i) yr[i] *= inv;
    } else {
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < n; ++i) s += exp_approx(convert<A>(xr[i]) - m);
      const A inv = A(1) / s;
      for (int64_t i = 0; i < n; ++i) yr[i] = convert<T>(exp_approx(convert<A>(xr[i]) - m) * inv);
    }
  }
}

template <typename T>
void softmax_slabs(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  using A = acc_t<T>;
#pragma omp parallel for schedule(static) if (outer * n * inner > kParallelRowElements)
  for (int64_t o = 0; o < outer; ++o) {
    const T* xs = x + o * n * inner;
    T* ys = y + o * n * inner;
    std::vector<A> m(inner, -std::numeric_limits<A>::infinity()), s(inner, A(0));
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < inner; ++j) m[j] = std::max(m[j], convert<A>(xs[k * inner + j]));
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < inner; ++j) s[j] += exp_approx(convert<A>(xs[k * inner + j]) - m[j]);
    if (log) {
      for (int64_t j = 0; j < inner; ++j) m[j] += std::log(s[j]);  // m becomes the logsumexp
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) ys[k * inner + j] = convert<T>(convert<A>(xs[k * inner + j]) - m[j]);
    } else {
      for (int64_t j = 0; j < inner; ++j) s[j] = A(1) / s[j];
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j)
          ys[k * inner + j] = convert<T>(exp_approx(convert<A>(xs[k * inner + j]) - m[j]) * s[j]);
    }
  }
}

// Rows (inner == 1): flat loops over each row so they vectorise.
template <typename T>
void softmax_bwd_rows(const T* dy, const T* y, T* dx, int64_t rows, int64_t n, bool log) {
  using A = acc_t<T>;
#pragma omp parallel for schedule(static) if (rows * n > kParallelRowElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* __restrict gr = dy + r * n;
    const T* __restrict yr = y + r * n;
    T* __restrict dr = dx + r * n;
    A d = 0;
    if (log) {
#pragma omp simd reduction(+ : d)
      for (int64_t i = 0; i < n; ++i) d += convert<A>(gr[i]);
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) dr[i] = convert<T>(convert<A>(gr[i]) - exp_approx(convert<A>(yr[i])) * d);
    } else {
#pragma omp simd reduction(+ : d)
      for (int64_t i = 0; i < n; ++i) d += convert<A>(gr[i]) * convert<A>(yr[i]);
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) dr[i] = convert<T>(convert<A>(yr[i]) * (convert<A>(gr[i]) - d));
    }
  }
}

// Slabs (inner > 1): per-column dot products over the reduced dim.
template <typename T>
void softmax_bwd(const T* dy, const T* y, T* dx, int64_t outer, int64_t n, int64_t inner, bool log) {
  using A = acc_t<T>;
#pragma omp parallel for schedule(static) if (outer * n * inner > kParallelRowElements)
  for (int64_t o = 0; o < outer; ++o) {
    const T* __restrict gs = dy + o * n * inner;
    const T* __restrict ys = y + o * n * inner;
    T* __restrict ds = dx + o * n * inner;
    std::vector<A> dot(inner, A(0));
    A* __restrict d = dot.data();
    if (log) {
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) d[j] += convert<A>(gs[k * inner + j]);
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t i = k * inner + j;
          ds[i] = convert<T>(convert<A>(gs[i]) - exp_approx(convert<A>(ys[i])) * d[j]);
        }
    } else {
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) d[j] += convert<A>(gs[k * inner + j]) * convert<A>(ys[k * inner + j]);
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t i = k * inner + j;
          ds[i] = convert<T>(convert<A>(ys[i]) * (convert<A>(gs[i]) - d[j]));
        }
    }
  }
}

}  // namespace

void softmax_forward(const void* x, void* y, int64_t outer, int64_t n, int64_t inner, bool log, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    if (inner == 1) softmax_rows(static_cast<const T*>(x), static_cast<T*>(y), outer, n, log);
    else softmax_slabs(static_cast<const T*>(x), static_cast<T*>(y), outer, n, inner, log);
  });
}

void softmax_backward(const void* dy, const void* y, void* dx, int64_t outer, int64_t n, int64_t inner, bool log,
                      DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    if (inner == 1)
      softmax_bwd_rows(static_cast<const T*>(dy), static_cast<const T*>(y), static_cast<T*>(dx), outer, n, log);
    else
      softmax_bwd(static_cast<const T*>(dy), static_cast<const T*>(y), static_cast<T*>(dx), outer, n, inner, log);
  });
}

}  // namespace forge::kernels::cpu
