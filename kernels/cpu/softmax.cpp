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

namespace forge::kernels::cpu {
namespace {

constexpr int64_t kParallelWork = 16384;

template <typename T>
void softmax_rows(const T* x, T* y, int64_t rows, int64_t n, bool log) {
  using A = acc_t<T>;
#pragma omp parallel for schedule(static) if (rows * n > kParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const T* __restrict xr = x + r * n;
    T* __restrict yr = y + r * n;
    A m = -std::numeric_limits<A>::infinity();
#pragma omp simd reduction(max : m)
    for (int64_t i = 0; i < n; ++i) m = std::max(m, convert<A>(xr[i]));
    A s = 0;
    if (log) {
      for (int64_t i = 0; i < n; ++i) s += std::exp(convert<A>(xr[i]) - m);
      const A lse = m + std::log(s);
      for (int64_t i = 0; i < n; ++i) yr[i] = convert<T>(convert<A>(xr[i]) - lse);
    } else if constexpr (std::is_same_v<T, A>) {
      // Write exp into y first, then scale it in place.
      for (int64_t i = 0; i < n; ++i) {
        const A e = std::exp(xr[i] - m);
        yr[i] = e;
        s += e;
      }
      const A inv = A(1) / s;
      for (int64_t i = 0; i < n; ++i) yr[i] *= inv;
    } else {
      for (int64_t i = 0; i < n; ++i) s += std::exp(convert<A>(xr[i]) - m);
      const A inv = A(1) / s;
      for (int64_t i = 0; i < n; ++i) yr[i] = convert<T>(std::exp(convert<A>(xr[i]) - m) * inv);
    }
  }
}

template <typename T>
void softmax_slabs(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  using A = acc_t<T>;
#pragma omp parallel for schedule(static) if (outer * n * inner > kParallelWork)
  for (int64_t o = 0; o < outer; ++o) {
    const T* xs = x + o * n * inner;
    T* ys = y + o * n * inner;
    std::vector<A> m(inner, -std::numeric_limits<A>::infinity()), s(inner, A(0));
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < inner; ++j) m[j] = std::max(m[j], convert<A>(xs[k * inner + j]));
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < inner; ++j) s[j] += std::exp(convert<A>(xs[k * inner + j]) - m[j]);
    if (log) {
      for (int64_t j = 0; j < inner; ++j) m[j] += std::log(s[j]);  // m becomes the logsumexp
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) ys[k * inner + j] = convert<T>(convert<A>(xs[k * inner + j]) - m[j]);
    } else {
      for (int64_t j = 0; j < inner; ++j) s[j] = A(1) / s[j];
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j)
          ys[k * inner + j] = convert<T>(std::exp(convert<A>(xs[k * inner + j]) - m[j]) * s[j]);
    }
  }
}

template <typename T>
void softmax_bwd(const T* dy, const T* y, T* dx, int64_t outer, int64_t n, int64_t inner, bool log) {
  using A = acc_t<T>;
#pragma omp parallel for schedule(static) if (outer * n * inner > kParallelWork)
  for (int64_t o = 0; o < outer; ++o) {
    const T* __restrict gs = dy + o * n * inner;
    const T* __restrict ys = y + o * n * inner;
    T* __restrict ds = dx + o * n * inner;
    A one = 0;  // rows (inner == 1) need no heap buffer
    std::vector<A> dot(inner > 1 ? inner : 0, A(0));
    A* __restrict d = inner > 1 ? dot.data() : &one;
    if (log) {
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) d[j] += convert<A>(gs[k * inner + j]);
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t i = k * inner + j;
          ds[i] = convert<T>(convert<A>(gs[i]) - std::exp(convert<A>(ys[i])) * d[j]);
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
    softmax_bwd(static_cast<const T*>(dy), static_cast<const T*>(y), static_cast<T*>(dx), outer, n, inner, log);
  });
}

}  // namespace forge::kernels::cpu
