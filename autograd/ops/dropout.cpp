// Inverted dropout (see nn.h). The forward reserves counters from the
// generator, so the mask is a pure function of (seed, first counter, element
// index); the backward saves only those two integers and regenerates the same
// mask by applying the same kernel to the upstream gradient.
#include "autograd/dispatch.h"
#include "autograd/node.h"
#include "autograd/ops/nn.h"

namespace forge::ops {

// x: any shape -> same shape
Tensor dropout(const Tensor& x, double p, Generator& gen, bool training) {
  FORGE_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability must be in [0, 1], got " << p);
  FORGE_CHECK(is_floating(x.dtype()), "dropout: expected a floating-point input, got " << x.str());
  if (!training || p == 0.0) return x;
  const Tensor xc = x.contiguous();
  const int64_t n = x.numel();
  const uint64_t seed = gen.seed();
  const uint64_t first = gen.reserve(kernels::dropout_counters(n));
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  op_kernels("dropout", xc).misc.dropout_apply(xc.data_ptr(), y.data_ptr(), n, p, seed, first, x.dtype());
  record("dropout", {xc}, y, [shape = x.shape(), dtype = x.dtype(), device = x.device(), n, p, seed,
                              first](const std::vector<Tensor>& g) {
    const Tensor dy = g[0].to(dtype).contiguous();
    Tensor dx = Tensor::empty(shape, dtype, device);
    op_kernels("dropout backward", dx, dy).misc.dropout_apply(dy.data_ptr(), dx.data_ptr(), n, p, seed, first, dtype);
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace forge::ops
