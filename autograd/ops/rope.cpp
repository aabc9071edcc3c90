// Rotary position embedding op, Hugging Face Llama convention (see nn.h).
// Accepts x with any strides over (B, H, T) as long as D is unit-stride (the
// usual (B, T, H, D).transpose(1, 2) view needs no copy); the output is a
// fresh contiguous (B, H, T, D). The backward is the inverse rotation of the
// upstream gradient, with the same positions.
#include "autograd/dispatch.h"
#include "autograd/node.h"
#include "autograd/ops/nn.h"

namespace forge::ops {

// x: (B, H, T, D), positions: i64 (T) or (B, T) -> (B, H, T, D)
Tensor rope(const Tensor& x, const Tensor& positions, double rope_theta) {
  FORGE_CHECK(is_floating(x.dtype()), "rope: expected a floating-point input, got " << x.str());
  FORGE_CHECK(x.dim() == 4, "rope: x must be (B, H, T, D), got shape " << shape_str(x.shape()));
  const int64_t B = x.size(0), H = x.size(1), T = x.size(2), D = x.size(3);
  FORGE_CHECK(D % 2 == 0, "rope: head dim D must be even, got shape " << shape_str(x.shape()));
  FORGE_CHECK(positions.dtype() == DType::i64, "rope: positions must be i64, got " << positions.str());
  const bool per_batch = positions.dim() == 2;
  FORGE_CHECK(positions.shape() == Shape{T} || positions.shape() == (Shape{B, T}),
              "rope: positions of shape " << shape_str(positions.shape()) << " do not match x of shape "
                                          << shape_str(x.shape()) << " (expected " << shape_str(Shape{T}) << " or "
                                          << shape_str(Shape{B, T}) << ")");
  FORGE_CHECK(rope_theta > 0, "rope: rope_theta must be positive, got " << rope_theta);
  const kernels::KernelTable& k = op_kernels("rope", x, positions);
  const Tensor xc = x.stride(3) == 1 ? x : x.contiguous();
  const Tensor pc = positions.detach().contiguous();
  Tensor y = Tensor::empty({B, H, T, D}, x.dtype(), x.device());
  if (y.numel() > 0)
    k.misc.rope_apply(xc.data_ptr(), xc.strides().data(), y.data_ptr(), pc.data<int64_t>(), per_batch, B, H, T, D,
                      rope_theta, false, x.dtype());
  record("rope", {xc}, y, [pc, per_batch, B, H, T, D, rope_theta, dtype = x.dtype()](const std::vector<Tensor>& g) {
    const Tensor dy = g[0].to(dtype).contiguous();
    const kernels::KernelTable& k = op_kernels("rope backward", dy, pc);
    Tensor dx = Tensor::empty({B, H, T, D}, dtype, dy.device());
    if (dx.numel() > 0)
      k.misc.rope_apply(dy.data_ptr(), dy.strides().data(), dx.data_ptr(), pc.data<int64_t>(), per_batch, B, H, T, D,
                        rope_theta, true, dtype);
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace forge::ops
