// How autograd (and the optimizers above it) reach compute: the kernel table
// of the one device an op's tensors live on. Every op calls op_kernels with
// its name and tensors before touching memory, so an op given tensors on two
// devices fails here with a message naming the op and both devices, and the
// kernels it then calls are that device's (kernels/backend.h).
#pragma once

#include "autograd/tensor.h"
#include "kernels/backend.h"

namespace forge {

// Throws "<op>: tensors on two devices: <a> on <device> and <b> on <device>".
[[noreturn]] void throw_device_mismatch(const char* op, const Tensor& a, const Tensor& b);

inline void check_same_device(const char* op, const Tensor& first, const Tensor& other) {
  if (other.defined() && other.device() != first.device()) [[unlikely]]
    throw_device_mismatch(op, first, other);
}

// The kernel table of first's device, after checking that every other defined
// tensor is on that device too (undefined ones, e.g. an absent bias, are skipped).
template <typename... Rest>
const kernels::KernelTable& op_kernels(const char* op, const Tensor& first, const Rest&... rest) {
  FORGE_CHECK(first.defined(), op << ": undefined input");
  (check_same_device(op, first, rest), ...);
  return kernels::kernels_for(first.device());
}

}  // namespace forge
