// Softmax and log-softmax ops over any dimension (see nn.h). The input is made
// contiguous and viewed as (outer, n, inner) around the reduced dim, so no
// permute copy is needed; the backward saves only the output.
#include "autograd/dispatch.h"
#include "autograd/node.h"
#include "autograd/ops/nn.h"
#include "autograd/ops/view.h"

namespace forge::ops {
namespace {

// x: any shape, softmax over `dim` -> same shape.
Tensor softmax_impl(const char* op, const Tensor& x, int64_t dim, bool log) {
  FORGE_CHECK(is_floating(x.dtype()), op << ": expected a floating-point input, got " << x.str());
  const int64_t ndim = x.dim();
  int64_t outer = 1, n = 1, inner = 1;
  if (ndim == 0) {
    wrap_dim(op, dim, 1);
  } else {
    const int64_t d = wrap_dim(op, dim, ndim);
    for (int64_t i = 0; i < d; ++i) outer *= x.shape()[i];
    n = x.shape()[d];
    for (int64_t i = d + 1; i < ndim; ++i) inner *= x.shape()[i];
  }
  const Tensor xc = x.contiguous();
  const kernels::KernelTable& k = op_kernels(op, xc);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (y.numel() > 0) k.softmax.forward(xc.data_ptr(), y.data_ptr(), outer, n, inner, log, x.dtype());
  record(op, {xc}, y, [op, ys = y.detach(), outer, n, inner, log](const std::vector<Tensor>& g) {
    const Tensor dy = g[0].to(ys.dtype()).contiguous();
    const kernels::KernelTable& k = op_kernels(op, ys, dy);
    Tensor dx = Tensor::empty(ys.shape(), ys.dtype(), ys.device());
    if (dx.numel() > 0)
      k.softmax.backward(dy.data_ptr(), ys.data_ptr(), dx.data_ptr(), outer, n, inner, log, ys.dtype());
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl("softmax", x, dim, false); }

Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl("log_softmax", x, dim, true); }

}  // namespace forge::ops
