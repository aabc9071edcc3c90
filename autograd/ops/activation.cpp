// GELU (tanh form), SiLU and SwiGLU ops (see nn.h): fused elementwise forward
// kernels, and backwards that save the inputs and call the fused backward
// kernels (one pass each, no chain of primitive ops).
#include "autograd/dispatch.h"
#include "autograd/node.h"
#include "autograd/ops/nn.h"

namespace forge::ops {
namespace {

void check_float(const char* op, const Tensor& x) {
  FORGE_CHECK(is_floating(x.dtype()), op << ": expected a floating-point input, got " << x.str());
}

// The upstream gradient as a contiguous tensor of the forward dtype.
Tensor grad_input(const Tensor& g, DType dtype) { return g.to(dtype).contiguous(); }

// Which entries of the device's activation kernels an op uses.
using UnaryKernel = decltype(&kernels::ActivationKernels::gelu_forward);
using UnaryBackwardKernel = decltype(&kernels::ActivationKernels::gelu_backward);

// x: any shape -> same shape; saves x for the backward.
Tensor unary_activation(const char* op, const Tensor& x, UnaryKernel forward, UnaryBackwardKernel backward) {
  check_float(op, x);
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  (op_kernels(op, xc).activation.*forward)(xc.data_ptr(), y.data_ptr(), x.numel(), x.dtype());
  record(op, {xc}, y, [op, xs = xc.detach(), backward](const std::vector<Tensor>& g) {
    const Tensor dy = grad_input(g[0], xs.dtype());
    const kernels::KernelTable& k = op_kernels(op, xs, dy);
    Tensor dx = Tensor::empty(xs.shape(), xs.dtype(), xs.device());
    (k.activation.*backward)(dy.data_ptr(), xs.data_ptr(), dx.data_ptr(), xs.numel(), xs.dtype());
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace

Tensor gelu(const Tensor& x) {
  return unary_activation("gelu", x, &kernels::ActivationKernels::gelu_forward,
                          &kernels::ActivationKernels::gelu_backward);
}

Tensor silu(const Tensor& x) {
  return unary_activation("silu", x, &kernels::ActivationKernels::silu_forward,
                          &kernels::ActivationKernels::silu_backward);
}

// gate, up: same shape (..., F) -> (..., F)
Tensor swiglu(const Tensor& gate, const Tensor& up) {
  check_float("swiglu", gate);
  FORGE_CHECK(gate.shape() == up.shape(), "swiglu: gate of shape " << shape_str(gate.shape())
                                                                   << " and up of shape " << shape_str(up.shape())
                                                                   << " must have the same shape");
  FORGE_CHECK(gate.dtype() == up.dtype(), "swiglu: gate dtype " << dtype_name(gate.dtype()) << " differs from up dtype "
                                                                << dtype_name(up.dtype()));
  const kernels::KernelTable& k = op_kernels("swiglu", gate, up);
  const Tensor gc = gate.contiguous(), uc = up.contiguous();
  Tensor y = Tensor::empty(gate.shape(), gate.dtype(), gate.device());
  k.activation.swiglu_forward(gc.data_ptr(), uc.data_ptr(), y.data_ptr(), gate.numel(), gate.dtype());
  const bool want_dg = gc.requires_grad(), want_du = uc.requires_grad();
  record("swiglu", {gc, uc}, y,
         [gs = gc.detach(), us = uc.detach(), want_dg, want_du](const std::vector<Tensor>& g) {
           const Tensor dy = grad_input(g[0], gs.dtype());
           const kernels::KernelTable& k = op_kernels("swiglu backward", gs, dy);
           Tensor dg = want_dg ? Tensor::empty(gs.shape(), gs.dtype(), gs.device()) : Tensor();
           Tensor du = want_du ? Tensor::empty(gs.shape(), gs.dtype(), gs.device()) : Tensor();
           k.activation.swiglu_backward(dy.data_ptr(), gs.data_ptr(), us.data_ptr(),
                                        dg.defined() ? dg.data_ptr() : nullptr,
                                        du.defined() ? du.data_ptr() : nullptr, gs.numel(), gs.dtype());
           return std::vector<Tensor>{dg, du};
         });
  return y;
}

}  // namespace forge::ops
