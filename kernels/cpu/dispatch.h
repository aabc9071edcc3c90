// Compile-time dispatch from a runtime DType to a typed kernel, and the value
// conversions kernels use (all 16-bit float math is done in fp32).
#pragma once

#include <cstdint>
#include <type_traits>

#include "common/dtype.h"
#include "common/error.h"

namespace forge::kernels::cpu {

// Compute type for an element type: fp32 for 16-bit floats, itself otherwise.
template <typename T> struct acc_type { using type = T; };
template <> struct acc_type<bf16> { using type = float; };
template <> struct acc_type<f16> { using type = float; };
template <typename T> using acc_t = typename acc_type<T>::type;

template <typename To, typename From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bf16> || std::is_same_v<To, f16>) {
    return To(static_cast<float>(v));
  } else if constexpr (std::is_same_v<From, bf16> || std::is_same_v<From, f16>) {
    return static_cast<To>(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}

// Calls fn(T{}) with T the C++ type of a floating dtype.
template <typename Fn>
void dispatch_float(DType t, Fn&& fn) {
  switch (t) {
    case DType::f32: fn(float{}); return;
    case DType::f64: fn(double{}); return;
    case DType::bf16: fn(bf16{}); return;
    case DType::f16: fn(f16{}); return;
    default: FORGE_THROW("expected a floating-point dtype, got " << dtype_name(t));
  }
}

// Calls fn(T{}) for any dtype.
template <typename Fn>
void dispatch_all(DType t, Fn&& fn) {
  switch (t) {
    case DType::f32: fn(float{}); return;
    case DType::f64: fn(double{}); return;
    case DType::bf16: fn(bf16{}); return;
    case DType::f16: fn(f16{}); return;
    case DType::i32: fn(int32_t{}); return;
    case DType::i64: fn(int64_t{}); return;
    case DType::u8: fn(uint8_t{}); return;
  }
}

}  // namespace forge::kernels::cpu
