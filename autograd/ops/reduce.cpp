// Reductions, sum_to, concat and split with their backward rules (see reduce.h).
// sum/mean hand the kernel x's kept and reduced dims as strided views, so
// transposed or narrowed inputs reduce without a copy; their backward expands
// the gradient back over the reduced dims. max saves the argmax indices and
// scatters the gradient to them. split returns views whose backward is one
// concat; concat copies each input into a narrow view of its output.
#include "autograd/ops/reduce.h"

#include <algorithm>

#include "autograd/dispatch.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/view.h"

namespace forge::ops {
namespace {

void check_input(const char* op, const Tensor& x) {
  FORGE_CHECK(x.defined(), op << ": undefined input");
  FORGE_CHECK(is_floating(x.dtype()), op << ": expected a floating-point tensor, got " << x.str());
}

// Which dims of an ndim tensor are reduced (empty dims = all).
std::vector<bool> reduced_mask(const char* op, const std::vector<int64_t>& dims, int64_t ndim) {
  std::vector<bool> mask(static_cast<size_t>(ndim), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(op, d, ndim);
    FORGE_CHECK(!mask[w], op << ": dimension " << d << " listed twice");
    mask[w] = true;
  }
  return mask;
}

// Gradient of a reduction: g (out shape) reshaped to keepdim form, expanded to x's shape, materialised.
Tensor expand_grad(const Tensor& g, const Shape& keep_shape, const Shape& x_shape) {
  return contiguous(expand(reshape(g, keep_shape), x_shape));
}

Tensor reduce_sum(const char* op, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, bool is_mean) {
  check_input(op, x);
  const int64_t nd = x.dim();
  std::vector<bool> mask = reduced_mask(op, dims, nd);
  Shape kept_shape, kept_strides, red_shape, red_strides, keep_shape, out_shape;
  int64_t count = 1;
  for (int64_t d = 0; d < nd; ++d) {
    if (mask[d]) {
      red_shape.push_back(x.shape()[d]);
      red_strides.push_back(x.strides()[d]);
      count *= x.shape()[d];
      keep_shape.push_back(1);
      if (keepdim) out_shape.push_back(1);
    } else {
      kept_shape.push_back(x.shape()[d]);
      kept_strides.push_back(x.strides()[d]);
      keep_shape.push_back(x.shape()[d]);
      out_shape.push_back(x.shape()[d]);
    }
  }
  const double scale = is_mean ? (count > 0 ? 1.0 / static_cast<double>(count) : 0.0) : 1.0;
  FORGE_CHECK(!is_mean || count > 0, op << ": mean over zero elements of shape " << shape_str(x.shape()));
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  op_kernels(op, x).reduce.sum_strided(x.dtype(), x.data_ptr(), kept_shape.data(), kept_strides.data(),
                                       static_cast<int>(kept_shape.size()), red_shape.data(), red_strides.data(),
                                       static_cast<int>(red_shape.size()), out.data_ptr(), scale);
  record(op, {x}, out, [keep_shape, x_shape = x.shape(), scale, is_mean](const std::vector<Tensor>& g) {
    Tensor gx = expand_grad(g[0], keep_shape, x_shape);
    if (is_mean) mul_scalar_(gx, scale);
    return std::vector<Tensor>{gx};
  });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce_sum("sum", x, dims, keepdim, false);
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce_sum("mean", x, dims, keepdim, true);
}

std::pair<Tensor, Tensor> max_with_indices(const Tensor& x, int64_t dim, bool keepdim) {
  check_input("max", x);
  FORGE_CHECK(x.dim() > 0, "max: needs at least one dimension, got shape " << shape_str(x.shape()));
  dim = wrap_dim("max", dim, x.dim());
  const int64_t n = x.shape()[dim];
  FORGE_CHECK(n > 0, "max: dimension " << dim << " of shape " << shape_str(x.shape()) << " is empty");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= x.shape()[d];
  for (int64_t d = dim + 1; d < x.dim(); ++d) inner *= x.shape()[d];
  Shape out_shape = x.shape();
  if (keepdim) {
    out_shape[dim] = 1;
  } else {
    out_shape.erase(out_shape.begin() + dim);
  }
  Tensor xc;
  {
    NoGradGuard no_grad;
    xc = contiguous(x);
  }
  Tensor values = Tensor::empty(out_shape, x.dtype(), x.device());
  Tensor indices = Tensor::empty(out_shape, DType::i64, x.device());
  op_kernels("max", xc).reduce.max_dim(x.dtype(), xc.data_ptr(), outer, n, inner, values.data_ptr(),
                                       indices.data<int64_t>());
  Tensor sidx = indices.detach();
  record("max", {x}, values, [sidx, x_shape = x.shape(), outer, n, inner](const std::vector<Tensor>& g) {
    Tensor gc = contiguous(g[0]);
    const kernels::KernelTable& k = op_kernels("max backward", gc, sidx);
    Tensor gx = Tensor::zeros(x_shape, gc.dtype(), gc.device());
    k.reduce.max_dim_backward(gc.dtype(), gc.data_ptr(), sidx.data<int64_t>(), outer, n, inner, gx.data_ptr());
    return std::vector<Tensor>{gx};
  });
  return {values, indices};
}

Tensor max(const Tensor& x, int64_t dim, bool keepdim) { return max_with_indices(x, dim, keepdim).first; }

Tensor sum_to(const Tensor& x, const Shape& shape) {
  FORGE_CHECK(x.defined(), "sum_to: undefined input");
  if (x.shape() == shape) return x;
  const int64_t nd = x.dim(), ns = static_cast<int64_t>(shape.size());
  FORGE_CHECK(ns <= nd, "sum_to: cannot sum shape " << shape_str(x.shape()) << " to " << shape_str(shape));
  const int64_t lead = nd - ns;
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < lead; ++d) dims.push_back(d);
  for (int64_t i = 0; i < ns; ++i) {
    const int64_t from = x.shape()[lead + i], to = shape[i];
    FORGE_CHECK(from == to || to == 1,
                "sum_to: shape " << shape_str(x.shape()) << " does not expand from " << shape_str(shape));
    if (to == 1 && from != 1) dims.push_back(lead + i);
  }
  if (dims.empty()) return reshape(x, shape);  // only leading size-1 dims differ
  return reshape(sum(x, dims, /*keepdim=*/true), shape);
}

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  FORGE_CHECK(!xs.empty(), "concat: needs at least one tensor");
  const Tensor& first = xs[0];
  FORGE_CHECK(first.defined(), "concat: input 0 is undefined");
  FORGE_CHECK(first.dim() > 0, "concat: inputs must have at least one dimension");
  dim = wrap_dim("concat", dim, first.dim());
  Shape out_shape = first.shape();
  out_shape[dim] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    FORGE_CHECK(t.defined(), "concat: input " << i << " is undefined");
    FORGE_CHECK(t.dtype() == first.dtype(), "concat: input " << i << " is " << t.str() << " but input 0 is "
                                                             << first.str());
    check_same_device("concat", first, t);
    bool ok = t.dim() == first.dim();
    for (int64_t d = 0; ok && d < t.dim(); ++d) ok = d == dim || t.shape()[d] == first.shape()[d];
    FORGE_CHECK(ok, "concat: input " << i << " has shape " << shape_str(t.shape()) << ", incompatible with input 0 "
                                     << shape_str(first.shape()) << " along dimension " << dim);
    sizes.push_back(t.shape()[dim]);
    out_shape[dim] += t.shape()[dim];
  }
  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  {
    NoGradGuard no_grad;
    int64_t start = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      copy_(narrow(out, dim, start, sizes[i]), xs[i]);
      start += sizes[i];
    }
  }
  std::vector<bool> needs;
  for (const Tensor& t : xs) needs.push_back(t.requires_grad());
  record("concat", xs, out, [sizes, needs, dim](const std::vector<Tensor>& g) {
    std::vector<Tensor> gs;
    int64_t start = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      gs.push_back(needs[i] ? contiguous(narrow(g[0], dim, start, sizes[i])) : Tensor());
      start += sizes[i];
    }
    return gs;
  });
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  FORGE_CHECK(x.defined(), "split: undefined input");
  FORGE_CHECK(x.dim() > 0, "split: input must have at least one dimension");
  dim = wrap_dim("split", dim, x.dim());
  int64_t total = 0;
  for (int64_t s : sizes) {
    FORGE_CHECK(s >= 0, "split: negative size " << s);
    total += s;
  }
  FORGE_CHECK(total == x.shape()[dim], "split: sizes add up to " << total << " but dimension " << dim << " of shape "
                                                                 << shape_str(x.shape()) << " has "
                                                                 << x.shape()[dim]);
  // Views without individual history; one node covers all pieces, and its backward is one concat.
  std::vector<Tensor> outs;
  int64_t start = 0;
  for (int64_t s : sizes) {
    Shape shape = x.shape();
    shape[dim] = s;
    outs.push_back(make_view(x, shape, x.strides(), x.offset() + start * x.strides()[dim]));
    start += s;
  }
  std::vector<Tensor*> ptrs;
  for (Tensor& t : outs) ptrs.push_back(&t);
  record("split", {x}, ptrs, [dim](const std::vector<Tensor>& g) { return std::vector<Tensor>{concat(g, dim)}; });
  return outs;
}

}  // namespace forge::ops
