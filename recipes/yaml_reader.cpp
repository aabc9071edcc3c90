// Located, strictly typed reading of YAML scalars (see yaml_reader.h).
#include "recipes/yaml_reader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "common/error.h"

namespace forge::recipes::detail {

Where Where::in(const std::string& origin, const std::string& note) {
  Where w;
  w.origin = origin;
  w.note = note;
  return w;
}

Where Where::at(const std::string& origin, const YAML::Mark& mark) {
  Where w;
  w.origin = origin;
  if (!mark.is_null()) {
    w.line = mark.line + 1;
    w.column = mark.column + 1;
  }
  return w;
}

Where Where::from_override(const std::string& text) {
  Where w;
  w.override = text;
  return w;
}

std::string Where::text() const {
  if (!override.empty()) return "command-line override '" + override + "'";
  std::ostringstream s;
  s << origin;
  if (line > 0) s << ':' << line << ':' << column;
  if (!note.empty()) s << " (" << note << ')';
  return s.str();
}

void fail(const Where& where, const std::string& path, const std::string& message) {
  throw Error(where.text() + ": " + path + ": " + message);
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "'" + node.Scalar() + "'";
}

namespace {

// Scalar text with YAML-style digit separators removed ("10_000" -> "10000").
std::string number_text(const YAML::Node& node) {
  std::string s = node.Scalar();
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  return s;
}

bool parse_double_text(const std::string& s, double& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno == 0 && std::isfinite(out);
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

int64_t read_int(const YAML::Node& node, const std::string& path, const Where& where) {
  if (node.IsScalar()) {
    const std::string s = number_text(node);
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return v;
    // Also accept integral floats such as 1e9 (common for token budgets).
    double d = 0;
    if (parse_double_text(s, d) && d == std::floor(d) && std::fabs(d) < 9.2e18) return int64_t(d);
  }
  fail(where, path, "expected an integer, got " + describe(node));
}

double read_double(const YAML::Node& node, const std::string& path, const Where& where) {
  double d = 0;
  if (node.IsScalar() && parse_double_text(number_text(node), d)) return d;
  fail(where, path, "expected a number, got " + describe(node));
}

bool read_bool(const YAML::Node& node, const std::string& path, const Where& where) {
  if (node.IsScalar()) {
    const std::string s = lower(node.Scalar());
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  fail(where, path, "expected true or false, got " + describe(node));
}

std::string read_string(const YAML::Node& node, const std::string& path, const Where& where) {
  if (!node.IsDefined() || node.IsNull()) return "";
  if (node.IsScalar()) return node.Scalar();
  fail(where, path, "expected a string, got " + describe(node));
}

std::string read_choice(const YAML::Node& node, const std::string& path, const Where& where,
                        const std::vector<std::string>& allowed) {
  if (node.IsScalar()) {
    const std::string s = node.Scalar();
    if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
    std::string msg = "expected one of " + join(allowed) + ", got '" + s + "'";
    const std::string guess = closest(s, allowed);
    if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
    fail(where, path, msg);
  }
  fail(where, path, "expected one of " + join(allowed) + ", got " + describe(node));
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  std::string best;
  size_t best_d = limit + 1;
  for (const std::string& c : candidates) {
    const std::string a = lower(word), b = lower(c);
    size_t d = edit_distance(a, b);
    // A truncation or an extension of a name (`optimizer` for `optim`) is a near miss.
    if (std::min(a.size(), b.size()) >= 3 && (a.rfind(b, 0) == 0 || b.rfind(a, 0) == 0)) d = std::min<size_t>(d, 1);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::string format_number(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ptr);
}

std::string format_double(double v) {
  std::string s = format_number(v);
  // Keep it visibly a float in YAML ("1" -> "1.0") unless it has an exponent.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace forge::recipes::detail
