// GPT-2 pre-tokenization without a regex engine (see tokenizer_pretokenize.h).
// Each alternative of the pattern becomes a branch; the only backtracking case,
// \s+(?!\S), is "a whitespace run, less its last character when a non-space
// follows and the run is longer than one character".
#include "data/tokenizer_pretokenize.h"

#include "data/tokenizer_unicode.h"

namespace forge::data {
namespace {

// Length of a contraction ('s 't 're 've 'm 'll 'd) at text[pos] == '\'', or 0.
size_t contraction_length(std::string_view text, size_t pos) {
  if (pos + 1 >= text.size()) return 0;
  const char a = text[pos + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (pos + 2 >= text.size()) return 0;
  const char b = text[pos + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// End of the run of characters of class `cls` starting at `pos`.
size_t run_end(std::string_view text, size_t pos, CharClass cls) {
  const size_t n = text.size();
  while (pos < n) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c < 0x80) {
      if (detail::kAsciiClass[c] != cls) break;
      ++pos;
      continue;
    }
    const DecodedChar d = detail::decode_non_ascii(text, pos);
    if (d.cls != cls) break;
    pos += d.length;
  }
  return pos;
}

// \s+(?!\S) | \s+ starting at `pos`, where a whitespace character starts.
size_t whitespace_end(std::string_view text, size_t pos) {
  const size_t n = text.size();
  size_t last_start = pos;  // start of the run's last character
  size_t end = pos;
  size_t count = 0;
  while (end < n) {
    const DecodedChar d = decode_char(text, end);
    if (d.cls != CharClass::space) break;
    last_start = end;
    end += d.length;
    ++count;
  }
  if (end == n || count == 1) return end;  // (?!\S) holds at the end; else \s+ alone
  return last_start;                        // leave the last space for " ?X"
}

}  // namespace

size_t pretoken_end(std::string_view text, size_t pos) {
  const char c = text[pos];
  if (c == '\'') {
    if (size_t len = contraction_length(text, pos)) return pos + len;
  }
  size_t start = pos;
  if (c == ' ') {
    if (pos + 1 == text.size()) return pos + 1;
    const DecodedChar next = decode_char(text, pos + 1);
    if (next.cls == CharClass::space) return whitespace_end(text, pos);
    return run_end(text, pos + 1 + next.length, next.cls);
  }
  const DecodedChar d = decode_char(text, start);
  if (d.cls == CharClass::space) return whitespace_end(text, pos);
  return run_end(text, start + d.length, d.cls);
}

std::vector<std::string_view> pretokenize(std::string_view text) {
  std::vector<std::string_view> pieces;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = pretoken_end(text, pos);
    pieces.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return pieces;
}

}  // namespace forge::data
