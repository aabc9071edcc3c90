// LayerNorm and RMSNorm ops (see nn.h): argument checks, the fused forward
// kernel, and a backward that calls the fused backward kernel. LayerNorm saves
// the input and per-row mean and rstd; RMSNorm saves the input and rstd.
#include "autograd/dispatch.h"
#include "autograd/node.h"
#include "autograd/ops/nn.h"

namespace forge::ops {
namespace {

void check_norm_args(const char* op, const Tensor& x, const Tensor& param, const char* param_name) {
  FORGE_CHECK(is_floating(x.dtype()), op << ": expected a floating-point input, got " << x.str());
  FORGE_CHECK(x.dim() >= 1 && x.size(-1) > 0, op << ": input must have a non-empty last dim, got shape "
                                                 << shape_str(x.shape()));
  if (!param.defined()) return;
  FORGE_CHECK(param.shape() == Shape{x.size(-1)},
              op << ": " << param_name << " of shape " << shape_str(param.shape()) << " does not match input of shape "
                 << shape_str(x.shape()) << " (expected " << shape_str(Shape{x.size(-1)}) << ")");
  FORGE_CHECK(param.dtype() == x.dtype(), op << ": " << param_name << " dtype " << dtype_name(param.dtype())
                                             << " differs from input dtype " << dtype_name(x.dtype()));
  check_same_device(op, x, param);
}

Tensor contiguous_or_undefined(const Tensor& t) { return t.defined() ? t.contiguous() : Tensor(); }

void* ptr_or_null(const Tensor& t) { return t.defined() ? t.data_ptr() : nullptr; }

// The upstream gradient as a contiguous tensor of the forward dtype.
Tensor grad_input(const Tensor& g, DType dtype) { return g.to(dtype).contiguous(); }

}  // namespace

// x: (..., C), weight/bias: (C) or undefined -> (..., C)
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  check_norm_args("layer_norm", x, weight, "weight");
  check_norm_args("layer_norm", x, bias, "bias");
  const Tensor xc = x.contiguous();
  const Tensor wc = contiguous_or_undefined(weight), bc = contiguous_or_undefined(bias);
  const int64_t C = x.size(-1), rows = x.numel() / C;
  const DType stats_dtype = kernels::norm_stats_dtype(x.dtype());
  const kernels::KernelTable& k = op_kernels("layer_norm", x, weight, bias);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty({rows}, stats_dtype, x.device());  // (rows)
  Tensor rstd = Tensor::empty({rows}, stats_dtype, x.device());  // (rows)
  k.norm.layer_norm_forward(xc.data_ptr(), ptr_or_null(wc), ptr_or_null(bc), y.data_ptr(), mean.data_ptr(),
                            rstd.data_ptr(), rows, C, eps, x.dtype());
  const bool want_dw = wc.defined() && wc.requires_grad(), want_db = bc.defined() && bc.requires_grad();
  record("layer_norm", {xc, wc, bc}, y,
         [xs = xc.detach(), ws = wc.defined() ? wc.detach() : Tensor(), mean, rstd, rows, C, want_dw,
          want_db](const std::vector<Tensor>& g) {
           const Tensor dy = grad_input(g[0], xs.dtype());
           const kernels::KernelTable& k = op_kernels("layer_norm backward", xs, dy);
           Tensor dx = Tensor::empty(xs.shape(), xs.dtype(), xs.device());
           Tensor dw = want_dw ? Tensor::empty({C}, xs.dtype(), xs.device()) : Tensor();
           Tensor db = want_db ? Tensor::empty({C}, xs.dtype(), xs.device()) : Tensor();
           k.norm.layer_norm_backward(dy.data_ptr(), xs.data_ptr(), ptr_or_null(ws), mean.data_ptr(), rstd.data_ptr(),
                                      dx.data_ptr(), ptr_or_null(dw), ptr_or_null(db), rows, C, xs.dtype());
           return std::vector<Tensor>{dx, dw, db};
         });
  return y;
}

// x: (..., C), weight: (C) or undefined -> (..., C)
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  check_norm_args("rms_norm", x, weight, "weight");
  const Tensor xc = x.contiguous();
  const Tensor wc = contiguous_or_undefined(weight);
  const int64_t C = x.size(-1), rows = x.numel() / C;
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor rstd = Tensor::empty({rows}, kernels::norm_stats_dtype(x.dtype()), x.device());  // (rows)
  op_kernels("rms_norm", x, weight)
      .norm.rms_norm_forward(xc.data_ptr(), ptr_or_null(wc), y.data_ptr(), rstd.data_ptr(), rows, C, eps, x.dtype());
  const bool want_dw = wc.defined() && wc.requires_grad();
  record("rms_norm", {xc, wc}, y,
         [xs = xc.detach(), ws = wc.defined() ? wc.detach() : Tensor(), rstd, rows, C,
          want_dw](const std::vector<Tensor>& g) {
           const Tensor dy = grad_input(g[0], xs.dtype());
           const kernels::KernelTable& k = op_kernels("rms_norm backward", xs, dy);
           Tensor dx = Tensor::empty(xs.shape(), xs.dtype(), xs.device());
           Tensor dw = want_dw ? Tensor::empty({C}, xs.dtype(), xs.device()) : Tensor();
           k.norm.rms_norm_backward(dy.data_ptr(), xs.data_ptr(), ptr_or_null(ws), rstd.data_ptr(), dx.data_ptr(),
                                    ptr_or_null(dw), rows, C, xs.dtype());
           return std::vector<Tensor>{dx, dw};
         });
  return y;
}

}  // namespace forge::ops
