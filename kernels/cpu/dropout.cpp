// Dropout kernel (see dropout.h): each parallel iteration handles the four
// elements of one Philox counter, so the mask does not depend on scheduling.
#include "kernels/cpu/dropout.h"

#include <cmath>

#include "common/philox.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/simd.h"

namespace forge::kernels::cpu {
namespace {

// Keep-bits of the four words of philox4x32(counter, seed): the same rounds as
// common/philox.h, unrolled here so the counter loop vectorises (philox.h's
// loop form keeps GCC from it). Bit k of the result is word k's keep decision.
inline uint32_t keep_bits(uint64_t counter, uint64_t seed, uint32_t threshold) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
#pragma GCC unroll 10
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n1 = static_cast<uint32_t>(p1);
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    const uint32_t n3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return static_cast<uint32_t>((c0 >> 8) >= threshold) | (static_cast<uint32_t>((c1 >> 8) >= threshold) << 1) |
         (static_cast<uint32_t>((c2 >> 8) >= threshold) << 2) | (static_cast<uint32_t>((c3 >> 8) >= threshold) << 3);
}

template <typename T>
void dropout_typed(const T* x, T* y, int64_t n, double p, uint64_t seed, uint64_t first) {
  using A = acc_t<T>;
  // Keep when the 24-bit value v satisfies v / 2^24 >= p, i.e. v >= ceil(p * 2^24).
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(p * 16777216.0));
  const A scale = p < 1.0 ? static_cast<A>(1.0 / (1.0 - p)) : A(0);
  const int64_t full = n / kDropoutElemsPerCounter;  // counters whose 4 elements all exist
#pragma omp parallel for simd schedule(static) if (full > kParallelElements / kDropoutElemsPerCounter)
  for (int64_t c = 0; c < full; ++c) {
    const uint32_t bits = keep_bits(first + static_cast<uint64_t>(c), seed, threshold);
    const int64_t i = c * kDropoutElemsPerCounter;
    y[i] = convert<T>(convert<A>(x[i]) * (scale * static_cast<A>(bits & 1u)));
    y[i + 1] = convert<T>(convert<A>(x[i + 1]) * (scale * static_cast<A>((bits >> 1) & 1u)));
    y[i + 2] = convert<T>(convert<A>(x[i + 2]) * (scale * static_cast<A>((bits >> 2) & 1u)));
    y[i + 3] = convert<T>(convert<A>(x[i + 3]) * (scale * static_cast<A>((bits >> 3) & 1u)));
  }
  // The tail: the last counter's first n % 4 words.
  if (full * kDropoutElemsPerCounter < n) {
    const auto r = philox4x32(first + static_cast<uint64_t>(full), seed);
    for (int64_t i = full * kDropoutElemsPerCounter; i < n; ++i) {
      const A keep = (r[i - full * kDropoutElemsPerCounter] >> 8) >= threshold ? scale : A(0);
      y[i] = convert<T>(convert<A>(x[i]) * keep);
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
