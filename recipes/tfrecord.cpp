// CRC-32C, TFRecord framing and protobuf wire encoding (see tfrecord.h).
#include "recipes/tfrecord.h"

#include <array>
#include <bit>

namespace forge::recipes {
namespace {

// Byte-at-a-time table for the reflected Castagnoli polynomial 0x82F63B78.
constexpr std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrc32cTable = make_crc32c_table();

void append_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
}

}  // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) {
  crc = ~crc;
  for (unsigned char b : data) crc = kCrc32cTable[(crc ^ b) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t mask_crc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

std::string tfrecord(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  append_le(out, data.size(), 8);
  append_le(out, mask_crc32c(crc32c(out)), 4);
  out.append(data);
  append_le(out, mask_crc32c(crc32c(data)), 4);
  return out;
}

void append_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(char((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(char(v));
}

void ProtoWriter::key(int field, int wire_type) { append_varint(bytes_, (uint64_t(field) << 3) | uint64_t(wire_type)); }

void ProtoWriter::add_varint(int field, uint64_t value) {
  key(field, 0);
  append_varint(bytes_, value);
}

void ProtoWriter::add_double(int field, double value) {
  key(field, 1);
  append_le(bytes_, std::bit_cast<uint64_t>(value), 8);
}

void ProtoWriter::add_float(int field, float value) {
  key(field, 5);
  append_le(bytes_, std::bit_cast<uint32_t>(value), 4);
}

void ProtoWriter::add_bytes(int field, std::string_view bytes) {
  key(field, 2);
  append_varint(bytes_, bytes.size());
  bytes_.append(bytes);
}

}  // namespace forge::recipes
