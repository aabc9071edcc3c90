// CRC-32C (io/crc32c.h): the standard check values, and the fast path
// (three interleaved hardware streams where the CPU has them) equal to the
// portable tables for every length around the block boundaries, at every
// alignment, and when continued across arbitrary splits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/philox.h"
#include "io/crc32c.h"

namespace forge {
namespace {

uint32_t crc(const std::string& s) { return crc32c_update(s.data(), s.size()); }

TEST(Crc32c, CheckValues) {
  // The CRC catalogue's check value and the iSCSI vectors of RFC 3720, B.4.
  EXPECT_EQ(crc("123456789"), 0xE3069283u);
  EXPECT_EQ(crc(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc(std::string(32, '\xff')), 0x62A8AB43u);
  std::string up, down;
  for (int i = 0; i < 32; ++i) up += char(i), down += char(31 - i);
  EXPECT_EQ(crc(up), 0x46DD794Eu);
  EXPECT_EQ(crc(down), 0x113FDB5Cu);
  EXPECT_EQ(crc(""), 0u);
  EXPECT_EQ(crc32c_portable("123456789", 9), 0xE3069283u);
}

TEST(Crc32c, FastPathEqualsPortable) {
  Generator gen(3);
  std::vector<unsigned char> data(40000 + 16);
  for (unsigned char& b : data) b = static_cast<unsigned char>(gen.next_uniform() * 256);
  // Lengths around multiples of the 3 x 4096-byte interleaved block.
  for (size_t n : {0, 1, 7, 8, 9, 4095, 12287, 12288, 12289, 24576, 24583, 36863, 40000})
    for (size_t align = 0; align < 3; ++align)
      EXPECT_EQ(crc32c_update(data.data() + align, n), crc32c_portable(data.data() + align, n)) << n << " +" << align;
  // Continuing over a split gives the CRC of the whole.
  const uint32_t whole = crc32c_portable(data.data(), 40000);
  for (size_t split : {1, 5000, 12288, 30001})
    EXPECT_EQ(crc32c_update(data.data() + split, 40000 - split, crc32c_update(data.data(), split)), whole) << split;
}

}  // namespace
}  // namespace forge
