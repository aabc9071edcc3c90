// Vectorisable float exp (and sigmoid/tanh built on it) for the CPU kernels.
// std::exp/std::tanh are opaque libm calls that keep loops scalar; these are
// branch-free arithmetic that vectorises (the scalar forms inside `omp simd`
// loops, the vector forms on kernels/cpu/simd.h's vec).
//
// One exp: e^x = 2^n e^r with n = round(x log2 e), r = x - n ln 2 (ln 2 split in
// two so the reduction is exact) and e^r by the Cephes degree-6 polynomial,
// within ~2 ulp of std::exp (detail::exp_reduced). Two ways out of range:
//  - exp_f32 (scalar, the kernels' softmax, cross-entropy and activations): 0
//    below -87.3 (including -inf, never a subnormal), inf above float's range,
//    saturating at 2.4e38 in the sliver (88.376, 88.723] (callers pass x <= 0 or
//    feed 1 + exp); NaN propagates.
//  - exp_ieee (vectors, ops::exp): under- and overflows to subnormals, 0 and inf
//    like std::exp; NaN propagates.
// double uses libm. exp_taylor is attention's older exp (a Taylor polynomial,
// relative error ~2e-7): it rounds differently from exp_f32, and switching
// attention over would change every training run's losses in the last bits, so
// it stays until a change of results is wanted (one line in attention.cpp).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/cpu/simd.h"

namespace forge::kernels::cpu {

namespace detail {
// Maps float bit patterns to int32 keys with the same order (and back: the map
// is its own inverse), so clamps and range tests can be integer min/max and
// compares. Float compares would keep GCC from vectorising the loop under the
// default -ftrapping-math; integer ones do not.
inline int32_t float_order_key(int32_t bits) { return bits ^ ((bits >> 31) & 0x7fffffff); }
inline int32_t key_of(float f) { return float_order_key(std::bit_cast<int32_t>(f)); }

inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
inline constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer

// e^xc = 2^n * e^r for xc in float's range: returns e^r and sets n (an integer
// held as float). F is float or a vec of floats.
template <typename F>
inline F exp_reduced(F xc, F& n) {
  n = (xc * kLog2e + kRound) - kRound;
  const F r = xc - n * kLn2Hi - n * kLn2Lo;
  F p = F{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return p * r * r + r + 1.0f;
}
}  // namespace detail

inline float exp_f32(float x) {
  const int32_t kLo = detail::key_of(-87.3f), kHi = detail::key_of(88.3762626647949f);
  const int32_t kOverflow = detail::key_of(88.7228391f);
  const int32_t bits = std::bit_cast<int32_t>(x);
  const int32_t key = detail::float_order_key(bits);
  const float xc = std::bit_cast<float>(detail::float_order_key(std::min(std::max(key, kLo), kHi)));
  float n;
  const float p = detail::exp_reduced(xc, n);
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

// exp of every lane, as std::exp does at the ends of the range. 2^n is applied as
// two halves so that results under- and overflow gradually.
template <int Bytes>
inline vec<float, Bytes> exp_ieee(vec<float, Bytes> x) {
  using V = vec<float, Bytes>;
  using I = vec<int32_t, Bytes>;
  const V lo = V{} - 104.0f, hi = V{} + 89.0f;
  V xc = x < lo ? lo : x;
  xc = xc > hi ? hi : xc;
  V n;
  const V p = detail::exp_reduced(xc, n);
  const I ni = __builtin_convertvector(n, I);
  const I half = ni >> 1;
  const I e1 = (half + 127) << 23, e2 = (ni - half + 127) << 23;
  const V y = p * std::bit_cast<V>(e1) * std::bit_cast<V>(e2);
  return x != x ? x : y;
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

// ---- attention's exp (see the opening comment) --------------------------------

// exp(x) for x <= ~0 (exactly 0 below -87, including -inf): Cody-Waite range
// reduction to r in [-ln2/2, ln2/2] and a degree-6 Taylor polynomial; relative
// error about 2e-7. Branch-free so that loops over it vectorise.
inline float exp_taylor(float x) {
  const float xc = std::min(std::max(x, -87.0f), 88.0f);
  const float kMagic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float t = xc * 1.44269504088896341f + kMagic;
  const float n = t - kMagic;
  const int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kMagic);
  const float r = (xc - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const float two_n = std::bit_cast<float>((ni + 127) << 23);
  return x < -87.0f ? 0.0f : p * two_n;
}
inline double exp_taylor(double x) { return std::exp(x); }

// exp_taylor on every lane, the same arithmetic written with vector operations.
inline vec<float> exp_taylor(vec<float> x) {
  using V = vec<float>;
  using I = vec<int32_t>;
  const V lo = V{} - 87.0f, hi = V{} + 88.0f;
  V xc = x < lo ? lo : x;
  xc = xc > hi ? hi : xc;
  const float kMagic = 12582912.0f;
  const V t = xc * 1.44269504088896341f + kMagic;
  const V n = t - kMagic;
  const I ni = std::bit_cast<I>(t) - std::bit_cast<int32_t>(kMagic);
  const V r = (xc - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  V p = V{} + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const I bits = (ni + 127) << 23;
  const V two_n = std::bit_cast<V>(bits);
  return x < lo ? V{} : p * two_n;
}

}  // namespace forge::kernels::cpu
