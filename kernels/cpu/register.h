// The CPU's kernel table: every entry of kernels/backend.h's KernelTable
// pointing at the kernels in kernels/cpu/. kernels/backend.cpp registers it
// for Device::Type::cpu on first use; the test binary registers it again for
// its test device (tests/support/test_device.cpp).
#pragma once

#include "kernels/backend.h"

namespace forge::kernels::cpu {

const KernelTable& kernel_table();

}  // namespace forge::kernels::cpu
