// The one command-line parser of every `forge` subcommand. A command declares
// each flag once, with where its value goes; parse() walks argv and returns the
// positional arguments. Every mistake reads the same in every command, as a
// forge::Error naming the flag: an unknown flag (with "did you mean" when a
// known one is close), a missing value, a value that is not a number or is out
// of range. `--help` or `-h` where a flag may stand throws HelpRequested, which
// apps/commands.cpp answers with the command's usage text and exit status 0.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace forge::apps {

// Thrown by FlagParser::parse on --help / -h; not an error.
struct HelpRequested {};

class FlagParser {
 public:
  // `command` names the command in messages, e.g. "forge eval".
  explicit FlagParser(std::string command);

  // --NAME VALUE (or --NAME=VALUE): the text as given; a repeated flag keeps the last.
  FlagParser& text(const std::string& name, std::string* out);
  // --NAME VALUE, repeatable: each value appended.
  FlagParser& texts(const std::string& name, std::vector<std::string>* out);
  // --NAME N: a whole decimal integer, at least `min`.
  FlagParser& integer(const std::string& name, int64_t* out, int64_t min = std::numeric_limits<int64_t>::min());
  // --NAME X: a finite number.
  FlagParser& number(const std::string& name, double* out);
  // --NAME without a value: sets *out to `value`.
  FlagParser& toggle(const std::string& name, bool* out, bool value = true);
  // --NAME VALUE handed to `take`, for values with checks or conversions of their own.
  FlagParser& custom(const std::string& name, std::function<void(const std::string& value)> take);

  // Applies the flags of argv[0..argc) in order and returns the other arguments.
  // After a bare `--` every argument is positional.
  std::vector<std::string> parse(int argc, char** argv) const;

 private:
  struct Flag {
    std::string name;
    bool takes_value;
    std::function<void(const std::string& value)> set;
  };
  FlagParser& add(const std::string& name, bool takes_value, std::function<void(const std::string&)> set);
  const Flag* find(const std::string& name) const;
  std::string closest(const std::string& name) const;

  std::string command_;
  std::vector<Flag> flags_;
};

// The whole text as a decimal integer / a finite number, else an error naming `flag`
// ("12x", "", "1e999" are errors).
int64_t parse_int_flag(const std::string& flag, const std::string& text);
double parse_double_flag(const std::string& flag, const std::string& text);

bool is_help_flag(const std::string& arg);

}  // namespace forge::apps
