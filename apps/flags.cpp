// FlagParser (apps/flags.h): declaration, parsing and its error messages.
#include "apps/flags.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/error.h"

namespace forge::apps {
namespace {

// Edits (insert, delete, substitute) turning a into b.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

int64_t parse_int_flag(const std::string& flag, const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  FORGE_CHECK(!text.empty() && ec == std::errc() && p == text.data() + text.size(),
              flag << " expects an integer, got '" << text << "'");
  return v;
}

double parse_double_flag(const std::string& flag, const std::string& text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  FORGE_CHECK(!text.empty() && ec == std::errc() && p == text.data() + text.size() && std::isfinite(v),
              flag << " expects a finite number, got '" << text << "'");
  return v;
}

bool is_help_flag(const std::string& arg) { return arg == "--help" || arg == "-h"; }

FlagParser::FlagParser(std::string command) : command_(std::move(command)) {}

FlagParser& FlagParser::add(const std::string& name, bool takes_value, std::function<void(const std::string&)> set) {
  FORGE_CHECK(name.rfind("--", 0) == 0 && find(name) == nullptr && !is_help_flag(name),
              command_ << " declares flag '" << name << "' twice or without its leading --");
  flags_.push_back({name, takes_value, std::move(set)});
  return *this;
}

FlagParser& FlagParser::text(const std::string& name, std::string* out) {
  return add(name, true, [out](const std::string& v) { *out = v; });
}

FlagParser& FlagParser::texts(const std::string& name, std::vector<std::string>* out) {
  return add(name, true, [out](const std::string& v) { out->push_back(v); });
}

FlagParser& FlagParser::integer(const std::string& name, int64_t* out, int64_t min) {
  return add(name, true, [name, out, min](const std::string& v) {
    *out = parse_int_flag(name, v);
    FORGE_CHECK(*out >= min, name << " must be >= " << min << ", got " << *out);
  });
}

FlagParser& FlagParser::number(const std::string& name, double* out) {
  return add(name, true, [name, out](const std::string& v) { *out = parse_double_flag(name, v); });
}

FlagParser& FlagParser::toggle(const std::string& name, bool* out, bool value) {
  return add(name, false, [out, value](const std::string&) { *out = value; });
}

FlagParser& FlagParser::custom(const std::string& name, std::function<void(const std::string&)> take) {
  return add(name, true, std::move(take));
}

const FlagParser::Flag* FlagParser::find(const std::string& name) const {
  for (const Flag& f : flags_)
    if (f.name == name) return &f;
  return nullptr;
}

// The declared flag a mistyped `name` most likely meant: one or two edits away,
// or a known flag that `name` abbreviates; "" when none is close.
std::string FlagParser::closest(const std::string& name) const {
  std::string best;
  size_t best_distance = 3;
  for (const Flag& f : flags_) {
    const size_t d = edit_distance(name, f.name);
    if (d < best_distance) {
      best = f.name;
      best_distance = d;
    }
  }
  if (!best.empty() || name.size() < 4) return best;
  for (const Flag& f : flags_)
    if (f.name.rfind(name, 0) == 0) return f.name;
  return best;
}

std::vector<std::string> FlagParser::parse(int argc, char** argv) const {
  std::vector<std::string> positional;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      positional.insert(positional.end(), argv + i + 1, argv + argc);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (is_help_flag(arg)) throw HelpRequested{};
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const Flag* flag = find(name);
    if (flag == nullptr) {
      const std::string suggestion = closest(name);
      FORGE_THROW("unknown flag '" << name << "'" << (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?")
                                   << " (`" << command_ << " --help` lists the flags)");
    }
    if (!flag->takes_value) {
      FORGE_CHECK(eq == std::string::npos, name << " takes no value, got '" << arg << "'");
      flag->set("");
    } else if (eq != std::string::npos) {
      flag->set(arg.substr(eq + 1));
    } else {
      FORGE_CHECK(i + 1 < argc, name << " needs a value (`" << command_ << " --help` shows the usage)");
      flag->set(argv[++i]);
    }
  }
  return positional;
}

}  // namespace forge::apps
