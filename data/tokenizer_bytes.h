// GPT-2's byte-to-unicode mapping. Byte-level BPE works on raw bytes, but
// vocab.json, merges.txt and tokenizer.json store tokens as text: every byte is
// shown as one printable Unicode character (bytes '!'..'~', 0xA1..0xAC and
// 0xAE..0xFF as themselves, the other 68 bytes as U+0100.. in byte order; so
// the space 0x20 is 'Ġ' U+0120). forge keeps tokens as raw bytes internally
// and converts only when reading or writing those files.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace forge::data {

// Raw token bytes -> the UTF-8 text GPT-2's files use for them.
std::string bytes_to_unicode_text(std::string_view bytes);

// Inverse of bytes_to_unicode_text; nullopt when `text` holds a character that
// is not the image of a byte (or is not valid UTF-8).
std::optional<std::string> unicode_text_to_bytes(std::string_view text);

// The byte whose single-byte token has id i in a GPT-2-ordered base vocabulary
// (the 256 bytes sorted by their unicode image: '!' is 0, ..., 0x20 is 220).
const std::array<uint8_t, 256>& base_vocab_byte_order();

}  // namespace forge::data
