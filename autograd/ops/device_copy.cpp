// Device-to-device copies (see device_copy.h): the source is made contiguous on
// its own device, then its bytes move with the devices' to_host / from_host
// kernels.
#include "autograd/ops/device_copy.h"

#include "autograd/dispatch.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops/view.h"

namespace forge::ops {

Tensor to_device(const Tensor& x, Device device) {
  FORGE_CHECK(x.defined(), "to(" << device.str() << "): undefined input");
  const Device from = x.device();
  if (from == device) return x;
  const kernels::KernelTable& src_kernels = kernels::kernels_for(from);
  const kernels::KernelTable& dst_kernels = kernels::kernels_for(device);
  Tensor src;
  {
    NoGradGuard no_grad;
    src = contiguous(x);
  }
  Tensor out = Tensor::empty(x.shape(), x.dtype(), device);
  const size_t nbytes = src.nbytes();
  if (from.is_cpu()) {
    dst_kernels.copy.from_host(out.data_ptr(), src.data_ptr(), nbytes);
  } else if (device.is_cpu()) {
    src_kernels.copy.to_host(out.data_ptr(), src.data_ptr(), nbytes);
  } else {
    Tensor host = Tensor::empty(x.shape(), x.dtype(), Device::cpu());
    src_kernels.copy.to_host(host.data_ptr(), src.data_ptr(), nbytes);
    dst_kernels.copy.from_host(out.data_ptr(), host.data_ptr(), nbytes);
  }
  record("to_device", {x}, out, [from](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{to_device(g[0], from)};
  });
  return out;
}

}  // namespace forge::ops

namespace forge {
Tensor Tensor::to(Device device) const { return ops::to_device(*this, device); }
}  // namespace forge
