// Moving a tensor between devices: the op behind Tensor::to(Device).
#pragma once

#include "autograd/tensor.h"

namespace forge::ops {

// x on `device`: x itself when it is already there, else a contiguous copy in
// x's dtype. Differentiable: the gradient is moved back to x's device.
// A move between two non-CPU devices goes through host memory.
Tensor to_device(const Tensor& x, Device device);

}  // namespace forge::ops
