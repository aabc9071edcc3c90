// Dropout kernel (see dropout.h): each parallel iteration handles the four
// elements of one Philox counter, so the mask does not depend on scheduling.
#include "kernels/cpu/dropout.h"

#include <cmath>

#include "common/philox.h"
#include "kernels/cpu/dispatch.h"

namespace forge::kernels::cpu {
namespace {

constexpr int64_t kParallelCounters = 8192;

template <typename T>
void dropout_typed(const T* x, T* y, int64_t n, double p, uint64_t seed, uint64_t first) {
  using A = acc_t<T>;
  // Keep when the 24-bit value v satisfies v / 2^24 >= p, i.e. v >= ceil(p * 2^24).
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(p * 16777216.0));
  const A scale = p < 1.0 ? static_cast<A>(1.0 / (1.0 - p)) : A(0);
  const int64_t counters = static_cast<int64_t>(dropout_counters(n));
#pragma omp parallel for schedule(static) if (counters > kParallelCounters)
  for (int64_t c = 0; c < counters; ++c) {
    const auto r = philox4x32(first + static_cast<uint64_t>(c), seed);
    const int64_t base = c * kDropoutElemsPerCounter;
    const int64_t end = base + kDropoutElemsPerCounter < n ? base + kDropoutElemsPerCounter : n;
    for (int64_t i = base; i < end; ++i) {
      const bool keep = (r[i - base] >> 8) >= threshold;
      y[i] = convert<T>(keep ? convert<A>(x[i]) * scale : A(0));
    }
  }
}

}  // namespace

void dropout_apply(const void* x, void* y, int64_t n, double p, uint64_t seed, uint64_t first_counter, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    dropout_typed(static_cast<const T*>(x), static_cast<T*>(y), n, p, seed, first_counter);
  });
}

}  // namespace forge::kernels::cpu
