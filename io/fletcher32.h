// Fletcher-32 exactly as HDF5's `fletcher32` filter computes it, so forge can
// verify checksummed chunks itself (direct chunk reads of format-1
// checkpoints, one pass over each byte fused with the copy out).
//
// The data is read as big-endian 16-bit words (an odd last byte is the high
// byte of a final word). Sums run in blocks of 360 words; after each block both
// sums are folded once ((s & 0xffff) + (s >> 16)), and at the end once more;
// the value is (sum2 << 16) | sum1, stored little-endian after the chunk.
// Within a block the additions are exact, so a block is summed in any order
// (here: vectorisable) and only the fold points must match HDF5's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace forge::h5 {

class Fletcher32 {
 public:
  static constexpr size_t kBlockBytes = 720;  // 360 words between folds

  // Adds `n` bytes. Every call but the last must pass a multiple of kBlockBytes.
  void update(const unsigned char* p, size_t n) {
    size_t words = n / 2;
    while (words > 0) {
      const uint32_t len = static_cast<uint32_t>(words < 360 ? words : 360);
      uint32_t b1 = 0, b2 = 0;
      for (uint32_t i = 0; i < len; ++i) {
        uint16_t raw;
        std::memcpy(&raw, p + 2 * i, 2);
        const uint32_t w = static_cast<uint16_t>((raw >> 8) | (raw << 8));  // big-endian word
        b1 += w;
        b2 += (len - i) * w;  // word i is added to sum2 (len - i) times
      }
      sum2_ += len * sum1_ + b2;
      sum1_ += b1;
      sum1_ = fold(sum1_);
      sum2_ = fold(sum2_);
      p += 2 * len;
      words -= len;
    }
    if (n % 2) {
      sum1_ += static_cast<uint32_t>(*p) << 8;
      sum2_ += sum1_;
      sum1_ = fold(sum1_);
      sum2_ = fold(sum2_);
    }
  }

  uint32_t value() const { return (fold(sum2_) << 16) | fold(sum1_); }

  // The 4 bytes HDF5 appends to a chunk.
  static uint32_t load(const unsigned char* in) {
    return static_cast<uint32_t>(in[0]) | static_cast<uint32_t>(in[1]) << 8 | static_cast<uint32_t>(in[2]) << 16 |
           static_cast<uint32_t>(in[3]) << 24;
  }

 private:
  static uint32_t fold(uint32_t s) { return (s & 0xffff) + (s >> 16); }
  uint32_t sum1_ = 0, sum2_ = 0;
};

}  // namespace forge::h5
