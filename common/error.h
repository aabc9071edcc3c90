// forge::Error and the check macros every layer uses to report bad input.
//
// Errors a user can cause (bad config, missing file, shape mismatch) throw
// forge::Error with a message that says what was expected and what was found.
// The CLI catches it, prints the message and exits with status 1.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace forge {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
// Builds the message lazily: the stream is only touched when a check fails.
[[noreturn]] void throw_error(const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace forge

// FORGE_CHECK(cond, "op: expected " << a << ", got " << b);
#define FORGE_CHECK(cond, msg)                                     \
  do {                                                             \
    if (!(cond)) [[unlikely]] {                                    \
      std::ostringstream forge_check_os_;                          \
      forge_check_os_ << msg;                                      \
      ::forge::detail::throw_error(__FILE__, __LINE__, forge_check_os_.str()); \
    }                                                              \
  } while (0)

#define FORGE_THROW(msg) FORGE_CHECK(false, msg)
