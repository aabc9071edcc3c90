// GPT-2's pre-tokenizer, written by hand: splits text into the pieces that the
// pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// would match, leftmost alternative first, exactly as Python's `regex` module
// does for GPT-2 (ASCII exact; other characters classified by
// tokenizer_unicode.h). BPE merges never cross the pieces. The pieces always
// partition the input, so byte strings that are not valid UTF-8 are split too
// (invalid bytes count as "other" characters).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace forge::data {

// End (exclusive) of the pre-token that starts at text[pos]; pos < text.size().
size_t pretoken_end(std::string_view text, size_t pos);

// All pre-tokens of `text`, in order; they concatenate back to `text`.
std::vector<std::string_view> pretokenize(std::string_view text);

}  // namespace forge::data
