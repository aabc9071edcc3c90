// GPT-2's byte <-> unicode mapping tables (see tokenizer_bytes.h).
#include "data/tokenizer_bytes.h"

#include "data/tokenizer_unicode.h"

namespace forge::data {
namespace {

bool maps_to_itself(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct Tables {
  std::array<uint32_t, 256> byte_to_cp{};  // byte -> code point of its image
  std::array<std::string, 256> byte_to_utf8;
  std::array<uint8_t, 256> order{};  // base-vocab id -> byte
  std::array<int16_t, 512> cp_to_byte{};  // images are all < 0x144; -1 = none

  Tables() {
    cp_to_byte.fill(-1);
    int extra = 0, id = 0;
    for (int b = 0; b < 256; ++b) byte_to_cp[b] = maps_to_itself(b) ? b : 256 + extra++;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cp = byte_to_cp[b];
      cp_to_byte[cp] = static_cast<int16_t>(b);
      std::string& s = byte_to_utf8[b];
      if (cp < 0x80) {
        s.push_back(static_cast<char>(cp));
      } else {
        s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    }
    // Sorting bytes by image code point: identity bytes keep their order among
    // themselves and all precede the remapped ones (which are >= 256).
    for (int b = 0; b < 256; ++b) if (maps_to_itself(b)) order[id++] = static_cast<uint8_t>(b);
    for (int b = 0; b < 256; ++b) if (!maps_to_itself(b)) order[id++] = static_cast<uint8_t>(b);
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

std::string bytes_to_unicode_text(std::string_view bytes) {
  const Tables& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += t.byte_to_utf8[b];
  return out;
}

std::optional<std::string> unicode_text_to_bytes(std::string_view text) {
  const Tables& t = tables();
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const DecodedChar d = decode_char(text, pos);
    const bool valid = d.codepoint < 0x80 || d.length > 1;
    if (!valid || d.codepoint >= t.cp_to_byte.size() || t.cp_to_byte[d.codepoint] < 0) return std::nullopt;
    out.push_back(static_cast<char>(t.cp_to_byte[d.codepoint]));
    pos += d.length;
  }
  return out;
}

const std::array<uint8_t, 256>& base_vocab_byte_order() { return tables().order; }

}  // namespace forge::data
