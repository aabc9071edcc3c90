// Conversions of contiguous runs between fp32 and the 16-bit float formats,
// written so the compiler vectorises them (bf16: integer rounding; f16: the
// F16C instructions where the build targets them). Rounding is
// round-to-nearest-even and NaN stays NaN, exactly as bf16/f16::from_float.
// Used by the 16-bit GEMM path, dtype copies and the mixed-precision working
// weights.
#pragma once

#include <bit>
#include <cstdint>

#include "common/dtype.h"

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace forge::kernels::cpu {

inline void load_f32(const bf16* __restrict src, float* __restrict dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = std::bit_cast<float>(static_cast<uint32_t>(src[i].bits) << 16);
}

inline void store_lowp(const float* __restrict src, bf16* __restrict dst, int64_t n) {
  // Same rounding as bf16::from_float (nearest-even, NaN stays a quiet NaN), branch-free.
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t u = std::bit_cast<uint32_t>(src[i]);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    const uint32_t nan = (u >> 16) | 0x40u;
    dst[i].bits = static_cast<uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
  }
}

inline void load_f32(const f16* __restrict src, float* __restrict dst, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
#endif
  for (; i < n; ++i) dst[i] = f16::to_float(src[i].bits);
}

inline void store_lowp(const float* __restrict src, f16* __restrict dst, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
#endif
  for (; i < n; ++i) dst[i].bits = f16::from_float(src[i]);
}

}  // namespace forge::kernels::cpu
