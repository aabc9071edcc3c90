// PNG encoder: signature, chunk order and lengths, every chunk's CRC-32
// (checked with a bitwise CRC written here, not zlib's), IHDR fields, and the
// IDAT stream inflating to the filter-0 scanlines of the image; write errors.
#include <gtest/gtest.h>

#include <zlib.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "viz/png.h"

namespace forge::viz {
namespace {

uint32_t be32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// CRC-32 (ISO-HDLC, reflected 0xEDB88320), bit by bit.
uint32_t crc32_bitwise(const std::string& s) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
  }
  return ~c;
}

struct Chunk {
  std::string type, data;
};

std::vector<Chunk> chunks(const std::string& png) {
  std::vector<Chunk> out;
  size_t at = 8;
  while (at + 12 <= png.size()) {
    const uint32_t n = be32(png, at);
    Chunk c{png.substr(at + 4, 4), png.substr(at + 8, n)};
    EXPECT_EQ(be32(png, at + 8 + n), crc32_bitwise(c.type + c.data)) << c.type;
    out.push_back(c);
    at += 12 + n;
  }
  EXPECT_EQ(at, png.size());
  return out;
}

TEST(Png, CrcCheckValue) { EXPECT_EQ(crc32_bitwise("123456789"), 0xCBF43926u); }

TEST(Png, ChunksAndPixels) {
  Image img{5, 3, {}};
  for (int i = 0; i < 5 * 3 * 3; ++i) img.rgb.push_back(uint8_t(i * 7));
  const std::string png = encode_png(img);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const std::vector<Chunk> cs = chunks(png);
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].type, "IHDR");
  EXPECT_EQ(cs[1].type, "IDAT");
  EXPECT_EQ(cs[2].type, "IEND");
  ASSERT_EQ(cs[0].data.size(), 13u);
  EXPECT_EQ(be32(cs[0].data, 0), 5u);
  EXPECT_EQ(be32(cs[0].data, 4), 3u);
  EXPECT_EQ(cs[0].data.substr(8), std::string("\x08\x02\x00\x00\x00", 5));
  EXPECT_EQ(png.substr(png.size() - 4), "\xae\x42\x60\x82");  // IEND's CRC is always this

  std::vector<uint8_t> raw(3 * (1 + 5 * 3) + 1);
  uLongf n = raw.size();
  ASSERT_EQ(uncompress(raw.data(), &n, reinterpret_cast<const Bytef*>(cs[1].data.data()), cs[1].data.size()), Z_OK);
  ASSERT_EQ(n, 3u * (1 + 5 * 3));
  for (int y = 0; y < 3; ++y) {
    EXPECT_EQ(raw[y * 16], 0) << "filter byte of row " << y;
    for (int i = 0; i < 15; ++i) EXPECT_EQ(raw[y * 16 + 1 + i], img.rgb[y * 15 + i]);
  }
}

TEST(Png, BadImageAndUnwritablePath) {
  EXPECT_THROW(encode_png(Image{2, 2, std::vector<uint8_t>(5)}), Error);
  Image img{1, 1, {1, 2, 3}};
  try {
    write_png("/nonexistent-dir/x.png", img);
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.png"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace forge::viz
