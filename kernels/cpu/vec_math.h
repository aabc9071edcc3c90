// Vectorisable float exp (and sigmoid/tanh built on it) for the activation,
// softmax and cross-entropy kernels. std::exp/std::tanh are opaque libm calls
// that keep loops scalar; these are branch-free arithmetic the compiler turns
// into AVX2 code inside `omp simd` loops. exp_approx<float> is within ~2 ulp
// of std::exp (Cephes-style range reduction and degree-6 polynomial), returns
// 0 below -87.3 (including -inf) and inf above float's range, saturates at
// 2.4e38 in the sliver (88.376, 88.723] (callers pass x <= 0 or feed 1 + exp),
// and propagates NaN. double uses libm.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace forge::kernels::cpu {

namespace detail {
// Maps float bit patterns to int32 keys with the same order (and back: the map
// is its own inverse), so clamps and range tests can be integer min/max and
// compares. Float compares would keep GCC from vectorising the loop under the
// default -ftrapping-math; integer ones do not.
inline int32_t float_order_key(int32_t bits) { return bits ^ ((bits >> 31) & 0x7fffffff); }
inline int32_t key_of(float f) { return float_order_key(std::bit_cast<int32_t>(f)); }
}  // namespace detail

inline float exp_f32(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const int32_t kLo = detail::key_of(-87.3f), kHi = detail::key_of(88.3762626647949f);
  const int32_t kOverflow = detail::key_of(88.7228391f);
  const int32_t bits = std::bit_cast<int32_t>(x);
  const int32_t key = detail::float_order_key(bits);
  const float xc = std::bit_cast<float>(detail::float_order_key(std::min(std::max(key, kLo), kHi)));
  const float n = (xc * kLog2e + kRound) - kRound;
  const float r = xc - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float scale = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
  // Range fixes as bit masks (all-ones where the condition holds), so no lane
  // needs a branch: underflow (and -inf) -> 0, overflow (and +inf) -> inf, NaN -> x.
  const int32_t under = -static_cast<int32_t>(key < kLo);
  const int32_t over = -static_cast<int32_t>(key > kOverflow);
  const int32_t nan = -static_cast<int32_t>((bits & 0x7fffffff) > 0x7f800000);
  int32_t out = std::bit_cast<int32_t>(p * scale) & ~(under | over);
  out |= over & 0x7f800000;
  out = (out & ~nan) | (bits & nan);
  return std::bit_cast<float>(out);
}

template <typename A>
inline A exp_approx(A x) {
  if constexpr (std::is_same_v<A, float>) return exp_f32(x);
  else return std::exp(x);
}

template <typename A>
inline A sigmoid_approx(A x) {
  return A(1) / (A(1) + exp_approx(-x));
}

// tanh(u) = 1 - 2 / (1 + exp(2u)); absolute error ~1e-7 in float.
template <typename A>
inline A tanh_approx(A u) {
  if constexpr (std::is_same_v<A, float>) return 1.0f - 2.0f / (1.0f + exp_f32(2.0f * u));
  else return std::tanh(u);
}

}  // namespace forge::kernels::cpu
