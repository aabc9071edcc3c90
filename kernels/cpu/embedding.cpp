// Embedding gather and deterministic scatter-add (see embedding.h).
#include "kernels/cpu/embedding.h"

#include <cstring>
#include <vector>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/simd.h"

namespace forge::kernels::cpu {
namespace {


template <typename Fn>
void dispatch_id(DType t, Fn&& fn) {
  switch (t) {
    case DType::i32: fn(int32_t{}); return;
    case DType::i64: fn(int64_t{}); return;
    default: FORGE_THROW("embedding: ids must be i32 or i64, got " << dtype_name(t));
  }
}

template <typename I, typename T>
void backward_typed(const I* ids, int64_t n, const T* g, int64_t vocab, int64_t channels, T* gw) {
  // Stable counting sort of positions by id: positions of id v are order[start[v] .. start[v+1]).
  std::vector<int64_t> start(static_cast<size_t>(vocab) + 1, 0);
  for (int64_t i = 0; i < n; ++i) ++start[static_cast<size_t>(ids[i]) + 1];
  for (int64_t v = 0; v < vocab; ++v) start[v + 1] += start[v];
  std::vector<int64_t> next(start.begin(), start.end() - 1);
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[next[ids[i]]++] = i;

  using A = acc_t<T>;
  const size_t row_bytes = static_cast<size_t>(channels) * sizeof(T);
#pragma omp parallel if (vocab * channels >= kParallelElements)
  {
    std::vector<A> acc(std::is_same_v<A, T> ? 0 : static_cast<size_t>(channels));
#pragma omp for schedule(dynamic, 64)
    for (int64_t v = 0; v < vocab; ++v) {
      T* __restrict row = gw + v * channels;
      const int64_t b = start[v], e = start[v + 1];
      if (b == e) {
        std::memset(static_cast<void*>(row), 0, row_bytes);  // all-zero bits are +0 in every float dtype
        continue;
      }
      if constexpr (std::is_same_v<A, T>) {
        std::memcpy(static_cast<void*>(row), g + order[b] * channels, row_bytes);
        for (int64_t p = b + 1; p < e; ++p) {
          const T* __restrict src = g + order[p] * channels;
          for (int64_t c = 0; c < channels; ++c) row[c] += src[c];
        }
      } else {
        A* __restrict a = acc.data();
        for (int64_t c = 0; c < channels; ++c) a[c] = 0;
        for (int64_t p = b; p < e; ++p) {
          const T* __restrict src = g + order[p] * channels;
          for (int64_t c = 0; c < channels; ++c) a[c] += convert<A>(src[c]);
        }
        for (int64_t c = 0; c < channels; ++c) row[c] = convert<T>(a[c]);
      }
    }
  }
}

}  // namespace

int64_t embedding_first_invalid(const void* ids, DType id_dtype, int64_t n, int64_t vocab) {
  int64_t bad = -1;
  dispatch_id(id_dtype, [&](auto tag) {
    using I = decltype(tag);
    const I* p = static_cast<const I*>(ids);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t id = static_cast<int64_t>(p[i]);
      if (id < 0 || id >= vocab) {
        bad = i;
        return;
      }
    }
  });
  return bad;
}

int64_t embedding_id_at(const void* ids, DType id_dtype, int64_t i) {
  int64_t id = 0;
  dispatch_id(id_dtype, [&](auto tag) { id = static_cast<int64_t>(static_cast<const decltype(tag)*>(ids)[i]); });
  return id;
}

void embedding_forward(const void* ids, DType id_dtype, int64_t n, const void* weight, DType dtype, int64_t channels,
                       int64_t ld, void* out) {
  const size_t elem = dtype_size(dtype);
  const size_t row_bytes = static_cast<size_t>(channels) * elem;
  const char* w = static_cast<const char*>(weight);
  char* o = static_cast<char*>(out);
  dispatch_id(id_dtype, [&](auto tag) {
    using I = decltype(tag);
    const I* p = static_cast<const I*>(ids);
#pragma omp parallel for schedule(static) if (n * channels >= kParallelElements)
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(o + static_cast<size_t>(i) * row_bytes, w + static_cast<size_t>(p[i]) * ld * elem, row_bytes);
  });
}

void embedding_backward(const void* ids, DType id_dtype, int64_t n, const void* grad_out, DType dtype, int64_t vocab,
                        int64_t channels, void* grad_weight) {
  dispatch_id(id_dtype, [&](auto id_tag) {
    using I = decltype(id_tag);
    dispatch_float(dtype, [&](auto tag) {
      using T = decltype(tag);
      backward_typed(static_cast<const I*>(ids), n, static_cast<const T*>(grad_out), vocab, channels,
                     static_cast<T*>(grad_weight));
    });
  });
}

}  // namespace forge::kernels::cpu
