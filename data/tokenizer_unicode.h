// UTF-8 decoding and the three Unicode classes GPT-2's pre-tokenizer pattern
// uses: \p{L} (letters), \p{N} (numbers) and \s (White_Space); everything else
// is "other". ASCII is classified by a 128-entry table (exact); other code
// points by binary search in the generated ranges of tokenizer_unicode_tables.h.
// Bytes that do not start a valid UTF-8 sequence (stray continuation bytes,
// overlong forms, surrogates, truncated sequences) decode as one byte of class
// "other", so every byte string can be pre-tokenized and byte-level encoded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace forge::data {

enum class CharClass : uint8_t { letter, number, space, other };

struct DecodedChar {
  uint32_t codepoint;  // the byte value itself for an invalid sequence
  uint32_t length;     // bytes consumed, 1..4
  CharClass cls;
};

// Class of one Unicode code point (any value; > 0x10FFFF is "other").
CharClass classify_codepoint(uint32_t cp);

namespace detail {
inline constexpr CharClass kAsciiClass[128] = {
#define O CharClass::other
#define S CharClass::space
#define L CharClass::letter
#define N CharClass::number
    O, O, O, O, O, O, O, O, O, S, S, S, S, S, O, O,  // 0x00: \t \n \v \f \r
    O, O, O, O, O, O, O, O, O, O, O, O, O, O, O, O,  // 0x10
    S, O, O, O, O, O, O, O, O, O, O, O, O, O, O, O,  // 0x20: space, punctuation
    N, N, N, N, N, N, N, N, N, N, O, O, O, O, O, O,  // 0x30: digits
    O, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  // 0x40: @ A-O
    L, L, L, L, L, L, L, L, L, L, L, O, O, O, O, O,  // 0x50: P-Z
    O, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  // 0x60: ` a-o
    L, L, L, L, L, L, L, L, L, L, L, O, O, O, O, O,  // 0x70: p-z, DEL
#undef O
#undef S
#undef L
#undef N
};
DecodedChar decode_non_ascii(std::string_view text, size_t pos);
}  // namespace detail

// Decodes the character starting at text[pos] (pos < text.size()).
inline DecodedChar decode_char(std::string_view text, size_t pos) {
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80) return {c, 1, detail::kAsciiClass[c]};
  return detail::decode_non_ascii(text, pos);
}

}  // namespace forge::data
