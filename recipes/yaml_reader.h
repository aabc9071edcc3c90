// Strict, located reading of YAML values for the recipe loader: where a value
// came from (file:line:column or a command-line override), typed parsing of
// scalars with errors that name the key path and that place, and the
// edit-distance "did you mean" used for unknown keys and enum values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace forge::recipes::detail {

// Where a value came from.
struct Where {
  std::string origin;    // recipe file name (or the origin given to parse_recipe)
  int line = 0;          // 1-based; 0 = no line (default, preset or override)
  int column = 0;        // 1-based
  std::string override;  // the `key=value` text when it came from the command line
  std::string note;      // e.g. "default" or "from model.preset 'gpt2-124m'"

  static Where in(const std::string& origin, const std::string& note = "");
  static Where at(const std::string& origin, const YAML::Mark& mark);
  static Where from_override(const std::string& text);
  std::string text() const;
};

// Throws forge::Error "<where>: <path>: <message>".
[[noreturn]] void fail(const Where& where, const std::string& path, const std::string& message);

// "'abc'", "a list", "a mapping", "nothing" — what a node holds, for messages.
std::string describe(const YAML::Node& node);

// Typed scalar readers; each throws a located error on a type mismatch.
int64_t read_int(const YAML::Node& node, const std::string& path, const Where& where);
double read_double(const YAML::Node& node, const std::string& path, const Where& where);
bool read_bool(const YAML::Node& node, const std::string& path, const Where& where);
std::string read_string(const YAML::Node& node, const std::string& path, const Where& where);
// A scalar that must be one of `allowed` (with a suggestion when it is close to one).
std::string read_choice(const YAML::Node& node, const std::string& path, const Where& where,
                        const std::vector<std::string>& allowed);

// Levenshtein distance.
size_t edit_distance(const std::string& a, const std::string& b);
// The closest candidate within a distance that scales with the word, or "".
std::string closest(const std::string& word, const std::vector<std::string>& candidates);
// ", expected one of a, b, c" style list.
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

// Shortest text that parses back to exactly `v` ("1", "0.3", "3e-04"), for messages.
std::string format_number(double v);
// The same, kept visibly a float in YAML ("1.0"), for dump().
std::string format_double(double v);

}  // namespace forge::recipes::detail
