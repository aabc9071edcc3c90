// RoPE kernel (see rope.h): builds the cos/sin table for the positions, then
// rotates every (b, h, t) head vector in parallel.
#include "kernels/cpu/rope.h"

#include <cmath>
#include <vector>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/simd.h"

namespace forge::kernels::cpu {
namespace {


template <typename T>
void rope_typed(const T* x, const int64_t* xs, T* y, const int64_t* pos, bool per_batch, int64_t B, int64_t H,
                int64_t T_, int64_t D, double theta, bool inverse) {
  using A = acc_t<T>;
  const int64_t half = D / 2;
  const int64_t pb = per_batch ? B : 1;
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) inv_freq[i] = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(D));
  // cos_t, sin_t: (pb, T, D/2); sin is negated for the inverse rotation.
  std::vector<A> cos_t(static_cast<size_t>(pb * T_ * half)), sin_t(cos_t.size());
  const double sign = inverse ? -1.0 : 1.0;
#pragma omp parallel for schedule(static) if (pb * T_ * half > kParallelRowElements)
  for (int64_t row = 0; row < pb * T_; ++row) {
    const double p = static_cast<double>(pos[row]);
    for (int64_t i = 0; i < half; ++i) {
      const double a = p * inv_freq[i];
      cos_t[row * half + i] = static_cast<A>(std::cos(a));
      sin_t[row * half + i] = static_cast<A>(sign * std::sin(a));
    }
  }
  const int64_t rows = B * H * T_;
#pragma omp parallel for schedule(static) if (rows * D > kParallelRowElements)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = r % T_, h = (r / T_) % H, b = r / (T_ * H);
    const T* __restrict xr = x + b * xs[0] + h * xs[1] + t * xs[2];
    T* __restrict yr = y + r * D;
    const int64_t trow = (per_batch ? b * T_ : 0) + t;
    const A* __restrict c = cos_t.data() + trow * half;
    const A* __restrict s = sin_t.data() + trow * half;
    for (int64_t i = 0; i < half; ++i) {
      const A x1 = convert<A>(xr[i]), x2 = convert<A>(xr[i + half]);
      yr[i] = convert<T>(x1 * c[i] - x2 * s[i]);
      yr[i + half] = convert<T>(x2 * c[i] + x1 * s[i]);
    }
  }
}

}  // namespace

void rope_apply(const void* x, const int64_t* x_strides, void* y, const int64_t* positions, bool per_batch_positions,
                int64_t B, int64_t H, int64_t T, int64_t D, double theta, bool inverse, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using E = decltype(tag);
    rope_typed(static_cast<const E*>(x), x_strides, static_cast<E*>(y), positions, per_batch_positions, B, H, T, D,
               theta, inverse);
  });
}

}  // namespace forge::kernels::cpu
