// The SIMD building blocks the CPU kernels share: one vector type (GCC/Clang
// vector extension) as wide as the build machine's registers or of an explicit
// width, loads and stores through memcpy (no alignment assumed), and the work
// sizes below which a kernel stays on one thread. The fast exp, sigmoid and
// tanh built on these live in kernels/cpu/vec_math.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/dispatch.h"

namespace forge::kernels::cpu {

// Bytes of one vector register under -march=native: 64 with AVX-512 (16 floats),
// else 32 (AVX2: 8 floats).
#if defined(__AVX512F__)
inline constexpr int kNativeVecBytes = 64;
#else
inline constexpr int kNativeVecBytes = 32;
#endif

namespace detail {
template <typename T, int Bytes>
struct VecType {
  typedef T type __attribute__((vector_size(Bytes)));
};
}  // namespace detail

// Bytes / sizeof(T) lanes of T. Kernels whose summation order must not depend on
// the machine name the width (norm.cpp's 64-byte row sums); the others take the
// native one.
template <typename T, int Bytes = kNativeVecBytes>
using vec = typename detail::VecType<T, Bytes>::type;
template <typename T, int Bytes = kNativeVecBytes>
inline constexpr int64_t kLanes = Bytes / static_cast<int64_t>(sizeof(T));

// The vec<T, Bytes> at p (any alignment).
template <typename T, int Bytes = kNativeVecBytes>
inline vec<T, Bytes> vload(const T* p) {
  vec<T, Bytes> v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The next kLanes<A, Bytes> elements of p, converted from T to A.
template <typename A, int Bytes, typename T>
inline vec<A, Bytes> vload_as(const T* p) {
  if constexpr (std::is_same_v<A, T>) {
    return vload<A, Bytes>(p);
  } else {
    A tmp[kLanes<A, Bytes>];
    for (int64_t j = 0; j < kLanes<A, Bytes>; ++j) tmp[j] = convert<A>(p[j]);
    return vload<A, Bytes>(tmp);
  }
}

// Stores the vector v at p (any alignment).
template <typename T, typename V>
inline void vstore(T* p, V v) {
  static_assert(sizeof(V) % sizeof(T) == 0);
  std::memcpy(p, &v, sizeof(v));
}

// ---- when to go parallel -----------------------------------------------------
// Work below these sizes runs on one thread: forking the OpenMP team costs
// more than it saves. One size per kind of work, not per file.

// Elements of row kernels that do an exp, a reduction or a handful of
// multiply-adds per element: softmax, cross-entropy, norms, RoPE, optimizer updates.
inline constexpr int64_t kParallelRowElements = 16384;
// Elements of flat loops with light per-element work: activations, elementwise
// ops (per thread), strided copies, reductions, embedding rows, dropout.
inline constexpr int64_t kParallelElements = 32768;
// Elements of plain memory traffic: fills and dtype conversions around GEMM.
inline constexpr int64_t kParallelBulkElements = 65536;
// Multiply-adds of one attention call (B * Hq * T^2 * D).
inline constexpr double kParallelAttentionMacs = 1 << 20;

}  // namespace forge::kernels::cpu
