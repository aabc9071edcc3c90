// The byte-level pieces of TensorBoard event files, written by forge itself:
// CRC-32C (Castagnoli) and its TFRecord masking, TFRecord framing (length,
// masked CRC of the length, data, masked CRC of the data; little-endian), and
// a protobuf wire-format encoder (varints, fixed64/fixed32, length-delimited).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace forge::recipes {

// CRC-32C of `data`; pass a previous result as `crc` to continue over more bytes.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

// TFRecord's masked CRC: rotate right by 15 bits, add 0xa282ead8.
uint32_t mask_crc32c(uint32_t crc);

// One TFRecord: uint64 length, uint32 masked CRC-32C of those 8 bytes, the
// data, uint32 masked CRC-32C of the data.
std::string tfrecord(std::string_view data);

// Appends protobuf fields in wire format. Field numbers are the message's.
class ProtoWriter {
 public:
  void add_varint(int field, uint64_t value);          // wire type 0 (int64, enum, bool)
  void add_double(int field, double value);            // wire type 1 (fixed64)
  void add_float(int field, float value);              // wire type 5 (fixed32)
  void add_bytes(int field, std::string_view bytes);   // wire type 2 (string, bytes, sub-message)
  const std::string& bytes() const { return bytes_; }

 private:
  void key(int field, int wire_type);
  std::string bytes_;
};

// Base-128 varint, least significant group first.
void append_varint(std::string& out, uint64_t value);

}  // namespace forge::recipes
