// Fused softmax cross-entropy with ignore_index (see nn.h). The forward runs
// one pass per row for the logsumexp and saves the logits (the input itself,
// not a copy), the targets and the per-row logsumexp; log-softmax is never
// materialised. The backward allocates exactly one logits-shaped buffer and
// writes (softmax - onehot) * g / count into it.
#include <sstream>

#include "autograd/dispatch.h"
#include "autograd/node.h"
#include "autograd/ops/nn.h"

namespace forge::ops {
namespace {

// "(i, j)" multi-index of flat position `flat` in `shape` (row-major).
std::string index_str(int64_t flat, const Shape& shape) {
  Shape idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

}  // namespace

// logits: (..., V), targets: (...) i32/i64 -> scalar () loss (f64 for f64 logits, else f32)
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index) {
  FORGE_CHECK(is_floating(logits.dtype()), "cross_entropy: logits must be floating-point, got " << logits.str());
  FORGE_CHECK(targets.dtype() == DType::i32 || targets.dtype() == DType::i64,
              "cross_entropy: targets must be i32 or i64, got " << targets.str());
  FORGE_CHECK(logits.dim() >= 1 && logits.size(-1) > 0,
              "cross_entropy: logits need a non-empty class dim, got shape " << shape_str(logits.shape()));
  const Shape row_shape(logits.shape().begin(), logits.shape().end() - 1);
  FORGE_CHECK(targets.shape() == row_shape, "cross_entropy: logits of shape " << shape_str(logits.shape())
                                                << " need targets of shape " << shape_str(row_shape) << ", got "
                                                << shape_str(targets.shape()));
  const kernels::KernelTable& k = op_kernels("cross_entropy", logits, targets);
  const int64_t V = logits.size(-1), rows = logits.numel() / V;
  const Tensor lc = logits.contiguous();                // (rows, V) in memory
  const Tensor tc = targets.detach().contiguous();      // (rows)

  const int64_t bad = k.cross_entropy.find_invalid_target(tc.data_ptr(), tc.dtype(), rows, V, ignore_index);
  if (bad >= 0) {
    const int64_t value = tc.to_int_vector()[bad];
    FORGE_THROW("cross_entropy: target " << value << " at position " << index_str(bad, row_shape)
                                         << " is outside [0, " << V << ") (ignore_index is " << ignore_index << ")");
  }

  Tensor lse = Tensor::empty({rows}, kernels::norm_stats_dtype(logits.dtype()), logits.device());  // (rows)
  const auto res = k.cross_entropy.forward(lc.data_ptr(), tc.data_ptr(), tc.dtype(), lse.data_ptr(), rows, V,
                                           ignore_index, logits.dtype());
  const int64_t count = res.count;
  // 16-bit logits give an fp32 loss: the value is not rounded to 8 or 11 bits (mixed precision's policy).
  const DType loss_dtype = logits.dtype() == DType::f64 ? DType::f64 : DType::f32;
  Tensor loss = Tensor::full({}, count > 0 ? res.loss_sum / static_cast<double>(count) : 0.0, loss_dtype,
                             logits.device());
  record("cross_entropy", {lc}, loss,
         [ls = lc.detach(), tc, lse, rows, V, count, ignore_index](const std::vector<Tensor>& g) {
           const kernels::KernelTable& k = op_kernels("cross_entropy backward", ls, g[0]);
           Tensor dlogits = Tensor::empty(ls.shape(), ls.dtype(), ls.device());  // the one (rows, V) buffer
           const double scale = count > 0 ? g[0].item() / static_cast<double>(count) : 0.0;
           k.cross_entropy.backward(ls.data_ptr(), tc.data_ptr(), tc.dtype(), lse.data_ptr(), dlogits.data_ptr(), rows,
                                    V, ignore_index, scale, ls.dtype());
           return std::vector<Tensor>{dlogits};
         });
  return loss;
}

}  // namespace forge::ops
