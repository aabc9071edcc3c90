// GELU, SiLU and SwiGLU kernels (see activation.h): one pass per direction,
// each element independent, parallel over the flat buffer.
#include "kernels/cpu/activation.h"

#include <cmath>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/vec_math.h"

namespace forge::kernels::cpu {
namespace {

constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kGeluCoeff = 0.044715;

template <typename A>
inline A sigmoid(A v) {
  return sigmoid_approx(v);
}

template <typename T, typename Fn>
void unary(const T* __restrict x, T* __restrict y, int64_t n, Fn fn) {
  using A = acc_t<T>;
#pragma omp parallel for simd schedule(static) if (n > kParallelElements)
  for (int64_t i = 0; i < n; ++i) y[i] = convert<T>(fn(convert<A>(x[i])));
}

template <typename T, typename Fn>
void binary(const T* __restrict a, const T* __restrict b, T* __restrict y, int64_t n, Fn fn) {
  using A = acc_t<T>;
#pragma omp parallel for simd schedule(static) if (n > kParallelElements)
  for (int64_t i = 0; i < n; ++i) y[i] = convert<T>(fn(convert<A>(a[i]), convert<A>(b[i])));
}

template <typename A>
inline A gelu_value(A v) {
  const A k0 = static_cast<A>(kSqrt2OverPi), k1 = static_cast<A>(kGeluCoeff);
  return A(0.5) * v * (A(1) + tanh_approx(k0 * (v + k1 * v * v * v)));
}

template <typename A>
inline A gelu_grad(A v) {
  const A k0 = static_cast<A>(kSqrt2OverPi), k1 = static_cast<A>(kGeluCoeff);
  const A t = tanh_approx(k0 * (v + k1 * v * v * v));
  return A(0.5) * (A(1) + t) + A(0.5) * v * (A(1) - t * t) * k0 * (A(1) + A(3) * k1 * v * v);
}

template <typename A>
inline A silu_grad(A v) {
  const A s = sigmoid(v);
  return s * (A(1) + v * (A(1) - s));
}

}  // namespace

void gelu_forward(const void* x, void* y, int64_t n, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    unary(static_cast<const T*>(x), static_cast<T*>(y), n, [](auto v) { return gelu_value(v); });
  });
}

void gelu_backward(const void* dy, const void* x, void* dx, int64_t n, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    binary(static_cast<const T*>(dy), static_cast<const T*>(x), static_cast<T*>(dx), n,
           [](auto g, auto v) { return g * gelu_grad(v); });
  });
}

void silu_forward(const void* x, void* y, int64_t n, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    unary(static_cast<const T*>(x), static_cast<T*>(y), n, [](auto v) { return v * sigmoid(v); });
  });
}

void silu_backward(const void* dy, const void* x, void* dx, int64_t n, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    binary(static_cast<const T*>(dy), static_cast<const T*>(x), static_cast<T*>(dx), n,
           [](auto g, auto v) { return g * silu_grad(v); });
  });
}

void swiglu_forward(const void* gate, const void* up, void* y, int64_t n, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    binary(static_cast<const T*>(gate), static_cast<const T*>(up), static_cast<T*>(y), n,
           [](auto g, auto u) { return g * sigmoid(g) * u; });
  });
}

void swiglu_backward(const void* dy, const void* gate, const void* up, void* dgate, void* dup, int64_t n,
                     DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    const T* __restrict g = static_cast<const T*>(dy);
    const T* __restrict a = static_cast<const T*>(gate);
    const T* __restrict b = static_cast<const T*>(up);
    T* __restrict da = static_cast<T*>(dgate);
    T* __restrict db = static_cast<T*>(dup);
    if (da && db) {
#pragma omp parallel for simd schedule(static) if (n > kParallelElements)
      for (int64_t i = 0; i < n; ++i) {
        const A gv = convert<A>(g[i]), av = convert<A>(a[i]), bv = convert<A>(b[i]);
        const A s = sigmoid(av);
        da[i] = convert<T>(gv * bv * s * (A(1) + av * (A(1) - s)));
        db[i] = convert<T>(gv * av * s);
      }
    } else if (da) {
#pragma omp parallel for simd schedule(static) if (n > kParallelElements)
      for (int64_t i = 0; i < n; ++i)
        da[i] = convert<T>(convert<A>(g[i]) * convert<A>(b[i]) * silu_grad(convert<A>(a[i])));
    } else if (db) {
#pragma omp parallel for simd schedule(static) if (n > kParallelElements)
      for (int64_t i = 0; i < n; ++i) {
        const A av = convert<A>(a[i]);
        db[i] = convert<T>(convert<A>(g[i]) * av * sigmoid(av));
      }
    }
  });
}

}  // namespace forge::kernels::cpu
