// Strict UTF-8 decoding and Unicode class lookup for the pre-tokenizer (see
// tokenizer_unicode.h). Invalid sequences decode as a single "other" byte.
#include "data/tokenizer_unicode.h"

#include <algorithm>
#include <iterator>

#include "data/tokenizer_unicode_tables.h"

namespace forge::data {
namespace {

template <size_t N>
bool in_ranges(const detail::CodepointRange (&ranges)[N], uint32_t cp) {
  // First range whose hi >= cp; cp is inside it iff lo <= cp.
  const auto* it = std::lower_bound(std::begin(ranges), std::end(ranges), cp,
                                    [](const detail::CodepointRange& r, uint32_t v) { return r.hi < v; });
  return it != std::end(ranges) && it->lo <= cp;
}

}  // namespace

CharClass classify_codepoint(uint32_t cp) {
  if (cp < 0x80) return detail::kAsciiClass[cp];
  if (in_ranges(detail::kLetterRanges, cp)) return CharClass::letter;
  if (in_ranges(detail::kNumberRanges, cp)) return CharClass::number;
  if (in_ranges(detail::kWhiteSpaceRanges, cp)) return CharClass::space;
  return CharClass::other;
}

namespace detail {

DecodedChar decode_non_ascii(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const uint32_t c0 = byte(pos);
  const DecodedChar invalid{c0, 1, CharClass::other};
  uint32_t length, cp, min_cp;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    length = 2, cp = c0 & 0x1F, min_cp = 0x80;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    length = 3, cp = c0 & 0x0F, min_cp = 0x800;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    length = 4, cp = c0 & 0x07, min_cp = 0x10000;
  } else {
    return invalid;  // continuation byte, 0xC0/0xC1 overlong lead, or > 0xF4
  }
  if (pos + length > text.size()) return invalid;
  for (uint32_t i = 1; i < length; ++i) {
    const uint32_t c = byte(pos + i);
    if ((c & 0xC0) != 0x80) return invalid;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return invalid;
  return {cp, length, classify_codepoint(cp)};
}

}  // namespace detail
}  // namespace forge::data
