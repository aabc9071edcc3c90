// Philox normal and uniform fills (see random.h).
#include "kernels/cpu/random.h"

#include <cmath>
#include <utility>

#include "common/philox.h"
#include "kernels/cpu/dispatch.h"

namespace forge::kernels::cpu {
namespace {

// Fills p[0..n) two values per counter: pair(r) maps the counter's four words to them.
template <typename T, typename Pair>
void fill_pairs(T* p, int64_t n, uint64_t seed, uint64_t first, Pair pair) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < (n + 1) / 2; ++i) {
    const auto [a, b] = pair(philox4x32(first + static_cast<uint64_t>(i), seed));
    p[2 * i] = convert<T>(a);
    if (2 * i + 1 < n) p[2 * i + 1] = convert<T>(b);
  }
}

}  // namespace

void random_fill(RandomKind kind, void* out, DType dtype, int64_t n, uint64_t seed, uint64_t first_counter, double a,
                 double b) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(out);
    if (kind == RandomKind::normal) {
      const double mean = a, std = b;
      fill_pairs(p, n, seed, first_counter, [=](const auto& r) {
        const double u1 = uniform_double_from_bits(r[0], r[1]);
        const double u2 = uniform_double_from_bits(r[2], r[3]);
        const double rad = std::sqrt(-2.0 * std::log(1.0 - u1));
        return std::pair{mean + std * rad * std::cos(6.283185307179586 * u2),
                         mean + std * rad * std::sin(6.283185307179586 * u2)};
      });
    } else {
      const double low = a, high = b;
      fill_pairs(p, n, seed, first_counter, [=](const auto& r) {
        return std::pair{low + (high - low) * uniform_double_from_bits(r[0], r[1]),
                         low + (high - low) * uniform_double_from_bits(r[2], r[3])};
      });
    }
  });
}

}  // namespace forge::kernels::cpu
