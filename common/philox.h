// Counter-based random numbers (Philox-4x32-10).
//
// A stream is fully described by (seed, offset): the i-th draw is a pure
// function of seed and offset + i. That makes random init and dropout
// reproducible across thread counts, cheap to parallelise (each element is
// independent), and trivially checkpointable (two integers).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace forge {

inline std::array<uint32_t, 4> philox4x32(uint64_t counter, uint64_t seed) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = static_cast<uint32_t>(p1);
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = static_cast<uint32_t>(p0);
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {c0, c1, c2, c3};
}

// Uniform float in [0, 1) from 24 random bits.
inline float uniform_from_bits(uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }

// Uniform double in [0, 1) from 53 random bits.
inline double uniform_double_from_bits(uint32_t hi, uint32_t lo) {
  uint64_t v = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(v & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// A seeded stream with a running offset; each draw consumes one counter.
class Generator {
 public:
  explicit Generator(uint64_t seed = 0, uint64_t offset = 0) : seed_(seed), offset_(offset) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed; offset_ = offset; }
  // Reserves n counters and returns the first: callers draw philox4x32(first + i, seed).
  uint64_t reserve(uint64_t n) {
    uint64_t first = offset_;
    offset_ += n;
    return first;
  }
  // One standard normal (Box-Muller on one counter).
  double next_normal() {
    auto r = philox4x32(reserve(1), seed_);
    double u1 = uniform_double_from_bits(r[0], r[1]);
    double u2 = uniform_double_from_bits(r[2], r[3]);
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(6.283185307179586 * u2);
  }
  double next_uniform() {
    auto r = philox4x32(reserve(1), seed_);
    return uniform_double_from_bits(r[0], r[1]);
  }

 private:
  uint64_t seed_;
  uint64_t offset_;
};

}  // namespace forge
