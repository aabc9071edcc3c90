// Strict parsing of numeric command-line flag values for the subcommands:
// the whole text must be the number ("12x", "", "1e999" are errors naming the
// flag and the text it got).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include "common/error.h"

namespace forge::apps {

inline int64_t parse_int_flag(const std::string& flag, const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  FORGE_CHECK(!text.empty() && ec == std::errc() && p == text.data() + text.size(),
              flag << " expects an integer, got '" << text << "'");
  return v;
}

inline double parse_double_flag(const std::string& flag, const std::string& text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  FORGE_CHECK(!text.empty() && ec == std::errc() && p == text.data() + text.size() && std::isfinite(v),
              flag << " expects a finite number, got '" << text << "'");
  return v;
}

}  // namespace forge::apps
