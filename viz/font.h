// forge's built-in bitmap font for chart labels: printable ASCII on a 5x9 grid
// (cap height 7, two rows of descender), drawn as strokes so it scales smoothly.
#pragma once

#include <array>
#include <cstdint>

namespace forge::viz {

struct Glyph {
  static constexpr int kWidth = 5;
  static constexpr int kHeight = 9;   // rows 0-6 above the baseline, 7-8 below
  static constexpr int kAscent = 7;
  std::array<uint8_t, kHeight> rows{};  // bit (kWidth - 1 - x) of rows[y] is cell (x, y)

  bool lit(int x, int y) const {
    return x >= 0 && x < kWidth && y >= 0 && y < kHeight && ((rows[y] >> (kWidth - 1 - x)) & 1);
  }
};

// The glyph for `c`; characters outside printable ASCII get '?'.
const Glyph& glyph(char c);

}  // namespace forge::viz
