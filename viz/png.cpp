// PNG encoder (see png.h). Chunk layout per the PNG specification: a 4-byte
// big-endian length, the 4-byte type, the data, and the CRC-32 of type + data.
#include "viz/png.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/error.h"

namespace forge::viz {
namespace {

void put_u32(std::string& out, uint32_t v) {
  const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  out.append(b, 4);
}

void put_chunk(std::string& out, const char type[4], const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.append(type, 4);
  out += data;
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + start), static_cast<uInt>(out.size() - start));
  put_u32(out, static_cast<uint32_t>(crc));
}

}  // namespace

std::string encode_png(const Image& image) {
  FORGE_CHECK(image.width > 0 && image.height > 0 &&
                  image.rgb.size() == size_t(image.width) * size_t(image.height) * 3,
              "encode_png: expected a non-empty " << image.width << "x" << image.height << " RGB image ("
                                                  << size_t(image.width) * size_t(image.height) * 3
                                                  << " bytes), got " << image.rgb.size() << " bytes");
  // Raw scanlines: one filter-type byte (0 = none) before each row.
  const size_t row = size_t(image.width) * 3;
  std::vector<uint8_t> raw((row + 1) * size_t(image.height));
  for (int y = 0; y < image.height; ++y) {
    raw[y * (row + 1)] = 0;
    std::memcpy(&raw[y * (row + 1) + 1], &image.rgb[y * row], row);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  const int rc = compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, raw.data(),
                           static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION);
  FORGE_CHECK(rc == Z_OK, "encode_png: zlib compress2 failed with code " << rc);
  packed.resize(packed_size);

  std::string ihdr;
  put_u32(ihdr, static_cast<uint32_t>(image.width));
  put_u32(ihdr, static_cast<uint32_t>(image.height));
  ihdr += {char(8), char(2), char(0), char(0), char(0)};  // 8-bit, truecolour RGB, deflate, filter 0, no interlace

  std::string out("\x89PNG\r\n\x1a\n", 8);
  put_chunk(out, "IHDR", ihdr);
  put_chunk(out, "IDAT", packed);
  put_chunk(out, "IEND", "");
  return out;
}

void write_png(const std::string& path, const Image& image) {
  const std::string bytes = encode_png(image);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  FORGE_CHECK(f != nullptr, "cannot open '" << path << "' for writing: " << std::strerror(errno));
  const bool wrote = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  FORGE_CHECK(wrote && closed, "cannot write '" << path << "' (disk full?)");
}

}  // namespace forge::viz
