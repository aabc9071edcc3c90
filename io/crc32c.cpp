// CRC-32C (see crc32c.h).
//
// Internally the CRC runs "raw" (no pre/post inversion): raw(s, D) is linear,
// so raw(s, A||B) = shift(raw(s, A), |B|) ^ raw(0, B), where shift(c, n) is c
// followed by n zero bytes. The hardware path uses that to run three streams
// over consecutive thirds of a block at once (the crc32 instruction's latency
// is 3 cycles, its throughput 1 a cycle) and joins them with a precomputed
// shift-by-one-third operator.
#include "io/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace forge {
namespace {

static_assert(std::endian::native == std::endian::little, "crc32c.cpp assumes a little-endian CPU");

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

struct Tables {
  uint32_t slice[8][256];  // slice[0]: one byte; slice[k]: a byte followed by k zero bytes
};

constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t.slice[0][i] = c;
  }
  for (int k = 1; k < 8; ++k)
    for (uint32_t i = 0; i < 256; ++i) t.slice[k][i] = (t.slice[k - 1][i] >> 8) ^ t.slice[0][t.slice[k - 1][i] & 0xff];
  return t;
}
constexpr Tables kTables = make_tables();

uint64_t load64(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

uint32_t raw_portable(uint32_t c, const unsigned char* p, size_t n) {
  const auto& s = kTables.slice;
  for (; n >= 8; n -= 8, p += 8) {
    const uint64_t w = load64(p) ^ c;
    c = s[7][w & 0xff] ^ s[6][(w >> 8) & 0xff] ^ s[5][(w >> 16) & 0xff] ^ s[4][(w >> 24) & 0xff] ^
        s[3][(w >> 32) & 0xff] ^ s[2][(w >> 40) & 0xff] ^ s[1][(w >> 48) & 0xff] ^ s[0][w >> 56];
  }
  for (; n > 0; --n, ++p) c = s[0][(c ^ *p) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)

constexpr size_t kStreamBytes = 4096;  // each of the three streams' share of a block

// shift(c, kStreamBytes) as four byte-indexed tables: the operator is linear over GF(2).
struct ShiftTables {
  uint32_t t[4][256];
};

ShiftTables make_shift_tables() {
  uint32_t basis[32];  // shift(1 << b, kStreamBytes)
  for (int b = 0; b < 32; ++b) {
    uint32_t c = 1u << b;
    for (size_t i = 0; i < kStreamBytes; ++i) c = kTables.slice[0][c & 0xff] ^ (c >> 8);
    basis[b] = c;
  }
  ShiftTables s{};
  for (int k = 0; k < 4; ++k)
    for (uint32_t v = 0; v < 256; ++v)
      for (int b = 0; b < 8; ++b)
        if (v & (1u << b)) s.t[k][v] ^= basis[8 * k + b];
  return s;
}

uint32_t shift_stream(const ShiftTables& s, uint32_t c) {
  return s.t[0][c & 0xff] ^ s.t[1][(c >> 8) & 0xff] ^ s.t[2][(c >> 16) & 0xff] ^ s.t[3][c >> 24];
}

__attribute__((target("sse4.2"))) uint32_t raw_hw_serial(uint32_t c, const unsigned char* p, size_t n) {
  uint64_t c64 = c;
  for (; n >= 8; n -= 8, p += 8) c64 = _mm_crc32_u64(c64, load64(p));
  c = static_cast<uint32_t>(c64);
  for (; n > 0; --n, ++p) c = _mm_crc32_u8(c, *p);
  return c;
}

__attribute__((target("sse4.2"))) uint32_t raw_hw(uint32_t c, const unsigned char* p, size_t n) {
  static const ShiftTables shift = make_shift_tables();
  for (; n >= 3 * kStreamBytes; n -= 3 * kStreamBytes, p += 3 * kStreamBytes) {
    uint64_t a = c, b = 0, d = 0;
    const unsigned char* pb = p + kStreamBytes;
    const unsigned char* pd = p + 2 * kStreamBytes;
    for (size_t i = 0; i < kStreamBytes; i += 8) {
      a = _mm_crc32_u64(a, load64(p + i));
      b = _mm_crc32_u64(b, load64(pb + i));
      d = _mm_crc32_u64(d, load64(pd + i));
    }
    // raw(c, A||B||D) = shift(shift(a, |B|) ^ b, |D|) ^ d
    c = shift_stream(shift, shift_stream(shift, static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b)) ^
        static_cast<uint32_t>(d);
  }
  return raw_hw_serial(c, p, n);
}

bool have_sse42() {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
  }();
  return yes;
}

#endif

}  // namespace

uint32_t crc32c_portable(const void* p, size_t n, uint32_t crc) {
  return ~raw_portable(~crc, static_cast<const unsigned char*>(p), n);
}

uint32_t crc32c_update(const void* p, size_t n, uint32_t crc) {
#if defined(__x86_64__)
  if (have_sse42()) return ~raw_hw(~crc, static_cast<const unsigned char*>(p), n);
#endif
  return crc32c_portable(p, n, crc);
}

}  // namespace forge
