// Elementwise kernels (see elementwise.h): one strided N-operand loop driver,
// and per-kind inner loops that specialise the contiguous and broadcast-scalar
// inner strides so the compiler can vectorise them.
#include "kernels/cpu/elementwise.h"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/simd.h"
#include "kernels/cpu/vec_math.h"

namespace forge::kernels::cpu {
namespace {

constexpr int kMaxDims = 16;

// Shape and strides of N operands after dropping size-1 dims and merging dims
// that are contiguous with their inner neighbour in every operand.
template <int N>
struct Layout {
  int ndim = 0;
  int64_t numel = 1;
  int64_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];
};

template <int N>
Layout<N> make_layout(const int64_t* shape, int ndim, const int64_t* const (&strides)[N]) {
  FORGE_CHECK(ndim <= kMaxDims, "elementwise kernels support at most " << kMaxDims << " dims, got " << ndim);
  Layout<N> l;
  for (int d = 0; d < ndim; ++d) l.numel *= shape[d];
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    bool merge = l.ndim > 0;
    for (int k = 0; k < N && merge; ++k) merge = l.strides[k][l.ndim - 1] == strides[k][d] * shape[d];
    if (merge) {
      l.shape[l.ndim - 1] *= shape[d];
      for (int k = 0; k < N; ++k) l.strides[k][l.ndim - 1] = strides[k][d];
    } else {
      l.shape[l.ndim] = shape[d];
      for (int k = 0; k < N; ++k) l.strides[k][l.ndim] = strides[k][d];
      ++l.ndim;
    }
  }
  if (l.ndim == 0) {  // a single element
    l.ndim = 1;
    l.shape[0] = 1;
    for (int k = 0; k < N; ++k) l.strides[k][0] = 1;
  }
  return l;
}

// Calls inner(n, off) for runs of n elements along the innermost dim, with off[k]
// the element offset of operand k at the run's start. Threads split the flat
// element range evenly (runs may be cut at thread boundaries).
template <int N, typename Inner>
void for_each_run(const Layout<N>& l, Inner&& inner) {
  if (l.numel == 0) return;
  const int nd = l.ndim;
  const int64_t n_inner = l.shape[nd - 1];
  const int64_t total = l.numel;
  const bool parallel = total >= 2 * kParallelElements && omp_get_max_threads() > 1;  // a grain per thread
#pragma omp parallel if (parallel)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    int64_t chunk = (total + nt - 1) / nt;
    chunk = (chunk + 63) / 64 * 64;
    const int64_t begin = std::min(total, t * chunk), end = std::min(total, begin + chunk);
    if (begin < end) {
      int64_t idx[kMaxDims];
      int64_t off[N] = {};
      int64_t rem = begin;
      for (int d = nd - 1; d >= 0; --d) {
        idx[d] = rem % l.shape[d];
        rem /= l.shape[d];
        for (int k = 0; k < N; ++k) off[k] += idx[d] * l.strides[k][d];
      }
      int64_t e = begin;
      while (e < end) {
        const int64_t n = std::min(n_inner - idx[nd - 1], end - e);
        inner(n, static_cast<const int64_t*>(off));
        e += n;
        if (e >= end) break;
        idx[nd - 1] += n;
        for (int k = 0; k < N; ++k) off[k] += n * l.strides[k][nd - 1];
        if (idx[nd - 1] == n_inner) {
          idx[nd - 1] = 0;
          for (int k = 0; k < N; ++k) off[k] -= n_inner * l.strides[k][nd - 1];
          for (int d = nd - 2; d >= 0; --d) {
            ++idx[d];
            for (int k = 0; k < N; ++k) off[k] += l.strides[k][d];
            if (idx[d] < l.shape[d]) break;
            idx[d] = 0;
            for (int k = 0; k < N; ++k) off[k] -= l.shape[d] * l.strides[k][d];
          }
        }
      }
    }
  }
}

// fp32 ops run 8 lanes at a time on vectors (std::exp does not vectorise, and
// GCC will not if-convert float compares under -ftrapping-math).
using f32x8 = vec<float, 32>;

// out = vf(x) for ops whose compute type is fp32, in blocks of 8 lanes.
template <typename T, typename VF>
void unary_typed_x8(const Layout<2>& l, T* out, const T* x, VF vf) {
  const int nd = l.ndim;
  const int64_t so = l.strides[0][nd - 1], sx = l.strides[1][nd - 1];
  for_each_run(l, [&](int64_t n, const int64_t* off) {
    T* o = out + off[0];
    const T* px = x + off[1];
    int64_t i = 0;
    if (so == 1 && sx == 1) {
      for (; i + 8 <= n; i += 8) {
        f32x8 v;
        for (int j = 0; j < 8; ++j) v[j] = convert<float>(px[i + j]);
        v = vf(v);
        for (int j = 0; j < 8; ++j) o[i + j] = convert<T>(v[j]);
      }
    }
    for (; i < n; i += 8) {
      const int64_t m = std::min<int64_t>(8, n - i);
      f32x8 v = {};
      for (int64_t j = 0; j < m; ++j) v[j] = convert<float>(px[(i + j) * sx]);
      v = vf(v);
      for (int64_t j = 0; j < m; ++j) o[(i + j) * so] = convert<T>(v[j]);
    }
  });
}

// out = f(a, b) in compute type A, with inner loops specialised on the inner strides.
template <typename T, typename F>
void binary_typed(const Layout<3>& l, T* out, const T* a, const T* b, F f) {
  using A = acc_t<T>;
  const int nd = l.ndim;
  const int64_t so = l.strides[0][nd - 1], sa = l.strides[1][nd - 1], sb = l.strides[2][nd - 1];
  for_each_run(l, [&](int64_t n, const int64_t* off) {
    T* o = out + off[0];
    const T* pa = a + off[1];
    const T* pb = b + off[2];
    if (so == 1 && sa == 1 && sb == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = convert<T>(f(convert<A>(pa[i]), convert<A>(pb[i])));
    } else if (so == 1 && sa == 1 && sb == 0) {
      const A bv = convert<A>(pb[0]);
      for (int64_t i = 0; i < n; ++i) o[i] = convert<T>(f(convert<A>(pa[i]), bv));
    } else if (so == 1 && sa == 0 && sb == 1) {
      const A av = convert<A>(pa[0]);
      for (int64_t i = 0; i < n; ++i) o[i] = convert<T>(f(av, convert<A>(pb[i])));
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * so] = convert<T>(f(convert<A>(pa[i * sa]), convert<A>(pb[i * sb])));
    }
  });
}

template <typename T, typename F>
void unary_typed(const Layout<2>& l, T* out, const T* x, F f) {
  using A = acc_t<T>;
  const int nd = l.ndim;
  const int64_t so = l.strides[0][nd - 1], sx = l.strides[1][nd - 1];
  for_each_run(l, [&](int64_t n, const int64_t* off) {
    T* o = out + off[0];
    const T* px = x + off[1];
    if (so == 1 && sx == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = convert<T>(f(convert<A>(px[i])));
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * so] = convert<T>(f(convert<A>(px[i * sx])));
    }
  });
}

}  // namespace

void binary(BinaryKind kind, DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides,
            const void* a, const int64_t* a_strides, const void* b, const int64_t* b_strides, double alpha) {
  const int64_t* const strides[3] = {out_strides, a_strides, b_strides};
  const Layout<3> l = make_layout<3>(shape, ndim, strides);
  if (l.numel == 0) return;
  const bool needs_float = kind == BinaryKind::div || kind == BinaryKind::pow;
  FORGE_CHECK(!needs_float || is_floating(dtype), "elementwise div/pow need a floating dtype, got " << dtype_name(dtype));
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    T* o = static_cast<T*>(out);
    const T* pa = static_cast<const T*>(a);
    const T* pb = static_cast<const T*>(b);
    switch (kind) {
      case BinaryKind::add: binary_typed(l, o, pa, pb, [](A x, A y) { return static_cast<A>(x + y); }); return;
      case BinaryKind::sub: binary_typed(l, o, pa, pb, [](A x, A y) { return static_cast<A>(x - y); }); return;
      case BinaryKind::mul: binary_typed(l, o, pa, pb, [](A x, A y) { return static_cast<A>(x * y); }); return;
      case BinaryKind::add_scaled: {
        const A s = static_cast<A>(alpha);
        binary_typed(l, o, pa, pb, [s](A x, A y) { return static_cast<A>(x + s * y); });
        return;
      }
      case BinaryKind::div:
        if constexpr (std::is_floating_point_v<A>) binary_typed(l, o, pa, pb, [](A x, A y) { return x / y; });
        return;
      case BinaryKind::pow:
        if constexpr (std::is_floating_point_v<A>) binary_typed(l, o, pa, pb, [](A x, A y) { return std::pow(x, y); });
        return;
    }
  });
}

void unary(UnaryKind kind, DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides,
           const void* x, const int64_t* x_strides, double s) {
  const int64_t* const strides[2] = {out_strides, x_strides};
  const Layout<2> l = make_layout<2>(shape, ndim, strides);
  if (l.numel == 0) return;
  const bool any_dtype = kind == UnaryKind::neg || kind == UnaryKind::add_scalar || kind == UnaryKind::mul_scalar;
  FORGE_CHECK(any_dtype || is_floating(dtype), "elementwise math needs a floating dtype, got " << dtype_name(dtype));
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    T* o = static_cast<T*>(out);
    const T* px = static_cast<const T*>(x);
    if constexpr (!std::is_floating_point_v<A>) {
      // Integers: exact where possible; scalar forms go through double.
      switch (kind) {
        case UnaryKind::neg: unary_typed(l, o, px, [](A v) { return static_cast<A>(-v); }); return;
        case UnaryKind::add_scalar:
          unary_typed(l, o, px, [s](A v) { return static_cast<A>(static_cast<double>(v) + s); });
          return;
        case UnaryKind::mul_scalar:
          unary_typed(l, o, px, [s](A v) { return static_cast<A>(static_cast<double>(v) * s); });
          return;
        default: return;
      }
    } else {
      const A sa = static_cast<A>(s);
      switch (kind) {
        case UnaryKind::neg: unary_typed(l, o, px, [](A v) { return -v; }); return;
        case UnaryKind::exp:
          if constexpr (std::is_same_v<A, float>) {
            unary_typed_x8(l, o, px, [](f32x8 v) { return exp_ieee<32>(v); });
          } else {
            unary_typed(l, o, px, [](A v) { return std::exp(v); });
          }
          return;
        case UnaryKind::log: unary_typed(l, o, px, [](A v) { return std::log(v); }); return;
        case UnaryKind::sqrt: unary_typed(l, o, px, [](A v) { return std::sqrt(v); }); return;
        case UnaryKind::rsqrt: unary_typed(l, o, px, [](A v) { return A(1) / std::sqrt(v); }); return;
        case UnaryKind::tanh: unary_typed(l, o, px, [](A v) { return std::tanh(v); }); return;
        case UnaryKind::add_scalar: unary_typed(l, o, px, [sa](A v) { return v + sa; }); return;
        case UnaryKind::mul_scalar: unary_typed(l, o, px, [sa](A v) { return v * sa; }); return;
        case UnaryKind::rsub_scalar: unary_typed(l, o, px, [sa](A v) { return sa - v; }); return;
        case UnaryKind::pow_scalar:
          if (s == 2.0) {
            unary_typed(l, o, px, [](A v) { return v * v; });
          } else if (s == 1.0) {
            unary_typed(l, o, px, [](A v) { return v; });
          } else if (s == 0.5) {
            unary_typed(l, o, px, [](A v) { return std::sqrt(v); });
          } else {
            unary_typed(l, o, px, [sa](A v) { return std::pow(v, sa); });
          }
          return;
      }
    }
  });
}

void select(DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides, const uint8_t* cond,
            const int64_t* cond_strides, const void* a, const int64_t* a_strides, const void* b,
            const int64_t* b_strides) {
  const int64_t* const strides[4] = {out_strides, cond_strides, a_strides, b_strides};
  const Layout<4> l = make_layout<4>(shape, ndim, strides);
  if (l.numel == 0) return;
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = static_cast<T*>(out);
    const T* pa = static_cast<const T*>(a);
    const T* pb = static_cast<const T*>(b);
    const int nd = l.ndim;
    const int64_t so = l.strides[0][nd - 1], sc = l.strides[1][nd - 1], sa = l.strides[2][nd - 1],
                  sb = l.strides[3][nd - 1];
    for_each_run(l, [&](int64_t n, const int64_t* off) {
      T* po = o + off[0];
      const uint8_t* pc = cond + off[1];
      const T* xa = pa + off[2];
      const T* xb = pb + off[3];
      if (so == 1 && sc == 1 && sa == 1 && sb == 0) {  // masked_fill on contiguous data
        const T bv = xb[0];
        for (int64_t i = 0; i < n; ++i) po[i] = pc[i] ? xa[i] : bv;
      } else if (so == 1 && sc == 1 && sa == 0 && sb == 1) {
        const T av = xa[0];
        for (int64_t i = 0; i < n; ++i) po[i] = pc[i] ? av : xb[i];
      } else {
        for (int64_t i = 0; i < n; ++i) po[i * so] = pc[i * sc] ? xa[i * sa] : xb[i * sb];
      }
    });
  });
}

void fill_strided(DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides, double value) {
  const int64_t* const strides[1] = {out_strides};
  const Layout<1> l = make_layout<1>(shape, ndim, strides);
  if (l.numel == 0) return;
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = static_cast<T*>(out);
    const T v = convert<T>(value);
    const int64_t so = l.strides[0][l.ndim - 1];
    for_each_run(l, [&](int64_t n, const int64_t* off) {
      T* po = o + off[0];
      if (so == 1) {
        for (int64_t i = 0; i < n; ++i) po[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) po[i * so] = v;
      }
    });
  });
}

}  // namespace forge::kernels::cpu
