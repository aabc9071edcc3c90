// Thread-local storage for GradMode (see grad_mode.h).
#include "autograd/grad_mode.h"

namespace forge {
namespace {
thread_local bool grad_enabled = true;
}

bool GradMode::is_enabled() { return grad_enabled; }
void GradMode::set_enabled(bool on) { grad_enabled = on; }

}  // namespace forge
