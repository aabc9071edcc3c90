// CRC-32C, TFRecord framing and protobuf wire encoding (see tfrecord.h).
#include "io/tfrecord.h"

#include <bit>

#include "io/crc32c.h"

namespace forge::recipes {
namespace {

void append_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
}

}  // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) { return crc32c_update(data.data(), data.size(), crc); }

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
