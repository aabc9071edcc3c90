// Out-of-line throw so the check macro stays small at every call site.
#include "common/error.h"

namespace forge::detail {

void throw_error(const char* /*file*/, int /*line*/, const std::string& message) {
  // The message is for users; file and line are for developers and are kept out
  // of it on purpose (users cannot act on them). Debuggers break on the throw.
  throw Error(message);
}

}  // namespace forge::detail
