// Strided copy and fill (see copy.h).
#include "kernels/cpu/copy.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/simd.h"

namespace forge::kernels::cpu {
namespace {

// Chunk of a long contiguous run that one thread converts.
constexpr int64_t kRunChunk = 1 << 15;

template <typename T>
constexpr bool is_half = std::is_same_v<T, bf16> || std::is_same_v<T, f16>;

// dst[i] = src[i] for a contiguous run, converting; fp32 <-> bf16/f16 take the vectorised paths.
template <typename D, typename S>
void copy_run(D* __restrict dst, const S* __restrict src, int64_t n) {
  if constexpr (std::is_same_v<D, S>) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(D));
  } else if constexpr (std::is_same_v<S, float> && is_half<D>) {
    store_lowp(src, dst, n);
  } else if constexpr (is_half<S> && std::is_same_v<D, float>) {
    load_f32(src, dst, n);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = convert<D>(src[i]);
  }
}

template <typename D, typename S>
void copy_typed(D* dst, const int64_t* ds, const S* src, const int64_t* ss, const int64_t* shape, int ndim) {
  if (ndim == 0) {
    dst[0] = convert<D>(src[0]);
    return;
  }
  const int64_t inner = shape[ndim - 1];
  const int64_t di = ds[ndim - 1], si = ss[ndim - 1];
  int64_t outer = 1;
  for (int d = 0; d < ndim - 1; ++d) outer *= shape[d];
  if (outer == 1 && di == 1 && si == 1) {  // one long contiguous run: split it over the threads
#pragma omp parallel for schedule(static) if (inner > 2 * kRunChunk)
    for (int64_t begin = 0; begin < inner; begin += kRunChunk)
      copy_run(dst + begin, src + begin, std::min(kRunChunk, inner - begin));
    return;
  }
#pragma omp parallel for schedule(static) if (outer * inner > kParallelElements)
  for (int64_t o = 0; o < outer; ++o) {
    int64_t rem = o, doff = 0, soff = 0;
    for (int d = ndim - 2; d >= 0; --d) {
      int64_t idx = rem % shape[d];
      rem /= shape[d];
      doff += idx * ds[d];
      soff += idx * ss[d];
    }
    D* dp = dst + doff;
    const S* sp = src + soff;
    if (di == 1 && si == 1) {
      copy_run(dp, sp, inner);
    } else {
      for (int64_t i = 0; i < inner; ++i) dp[i * di] = convert<D>(sp[i * si]);
    }
  }
}

}  // namespace

void copy_strided(void* dst, DType dst_dtype, const int64_t* dst_strides, const void* src, DType src_dtype,
                  const int64_t* src_strides, const int64_t* shape, int ndim) {
  // Merge adjacent dims that are contiguous in both views, so common cases become one long loop.
  std::vector<int64_t> sh, ds, ss;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    if (!sh.empty() && ds.back() == dst_strides[d] * shape[d] && ss.back() == src_strides[d] * shape[d]) {
      sh.back() *= shape[d];
      ds.back() = dst_strides[d];
      ss.back() = src_strides[d];
    } else {
      sh.push_back(shape[d]);
      ds.push_back(dst_strides[d]);
      ss.push_back(src_strides[d]);
    }
  }
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 0) return;
  }
  dispatch_all(dst_dtype, [&](auto d_tag) {
    using D = decltype(d_tag);
    dispatch_all(src_dtype, [&](auto s_tag) {
      using S = decltype(s_tag);
      copy_typed(static_cast<D*>(dst), ds.data(), static_cast<const S*>(src), ss.data(), sh.data(),
                 static_cast<int>(sh.size()));
    });
  });
}

void fill(void* dst, DType dtype, int64_t n, double value) {
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    T v = convert<T>(value);
    T* p = static_cast<T*>(dst);
#pragma omp parallel for schedule(static) if (n > kParallelBulkElements)
    for (int64_t i = 0; i < n; ++i) p[i] = v;
  });
}

}  // namespace forge::kernels::cpu
