// View and layout ops with their backward rules (see view.h).
#include "autograd/ops/view.h"

#include <numeric>

#include "autograd/dispatch.h"
#include "autograd/node.h"
#include "autograd/ops/reduce.h"

namespace forge::ops {

int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim) {
  FORGE_CHECK(dim >= -ndim && dim < ndim,
              op << ": dimension " << dim << " is out of range for a " << ndim << "-d tensor");
  return dim < 0 ? dim + ndim : dim;
}

void copy_(const Tensor& dst, const Tensor& src) {
  FORGE_CHECK(dst.shape() == src.shape(), "copy_: destination shape " << shape_str(dst.shape())
                                                                     << " differs from source shape " << shape_str(src.shape()));
  op_kernels("copy_", dst, src)
      .copy.copy_strided(dst.data_ptr(), dst.dtype(), dst.strides().data(), src.data_ptr(), src.dtype(),
                         src.strides().data(), src.shape().data(), static_cast<int>(src.dim()));
}

namespace {
Shape infer_shape(const char* op, const Tensor& x, Shape shape) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      FORGE_CHECK(infer < 0, op << ": only one dimension may be -1 in " << shape_str(shape));
      infer = static_cast<int64_t>(i);
    } else {
      FORGE_CHECK(shape[i] >= 0, op << ": invalid size in " << shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    FORGE_CHECK(known > 0 && x.numel() % known == 0,
                op << ": cannot view a tensor of shape " << shape_str(x.shape()) << " as " << shape_str(shape));
    shape[infer] = x.numel() / known;
  }
  FORGE_CHECK(shape_numel(shape) == x.numel(), op << ": cannot view a tensor of shape " << shape_str(x.shape())
                                                  << " (" << x.numel() << " elements) as " << shape_str(shape));
  return shape;
}
}  // namespace

Tensor view(const Tensor& x, Shape shape) {
  shape = infer_shape("view", x, std::move(shape));
  FORGE_CHECK(x.is_contiguous(), "view: input of shape " << shape_str(x.shape())
                                                         << " is not contiguous; use reshape() or contiguous()");
  Tensor out = make_view(x, shape, contiguous_strides(shape), x.offset());
  Shape in_shape = x.shape();
  record("view", {x}, out, [in_shape](const std::vector<Tensor>& g) { return std::vector<Tensor>{reshape(g[0], in_shape)}; });
  return out;
}

Tensor reshape(const Tensor& x, Shape shape) {
  if (x.is_contiguous()) return view(x, std::move(shape));
  return view(contiguous(x), std::move(shape));
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  const int64_t n = x.dim();
  FORGE_CHECK(static_cast<int64_t>(dims.size()) == n,
              "permute: got " << dims.size() << " dims for a " << n << "-d tensor of shape " << shape_str(x.shape()));
  Shape shape(n), strides(n);
  std::vector<int64_t> inverse(n, -1);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim("permute", dims[i], n);
    FORGE_CHECK(inverse[d] < 0, "permute: dimension " << d << " repeated");
    inverse[d] = i;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  Tensor out = make_view(x, shape, strides, x.offset());
  record("permute", {x}, out, [inverse](const std::vector<Tensor>& g) { return std::vector<Tensor>{permute(g[0], inverse)}; });
  return out;
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  const int64_t n = x.dim();
  d0 = wrap_dim("transpose", d0, n);
  d1 = wrap_dim("transpose", d1, n);
  std::vector<int64_t> dims(n);
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[d0], dims[d1]);
  return permute(x, dims);
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  dim = wrap_dim("narrow", dim, x.dim());
  const int64_t size = x.shape()[dim];
  FORGE_CHECK(start >= 0 && length >= 0 && start + length <= size,
              "narrow: range [" << start << ", " << start + length << ") is outside dimension " << dim << " of shape "
                                << shape_str(x.shape()));
  Shape shape = x.shape();
  shape[dim] = length;
  Tensor out = make_view(x, shape, x.strides(), x.offset() + start * x.strides()[dim]);
  Shape in_shape = x.shape();
  record("narrow", {x}, out, [in_shape, dim, start, length](const std::vector<Tensor>& g) {
    Tensor gx = Tensor::zeros(in_shape, g[0].dtype(), g[0].device());
    copy_(narrow(gx, dim, start, length), g[0]);
    return std::vector<Tensor>{gx};
  });
  return out;
}

Tensor expand(const Tensor& x, const Shape& shape) {
  const int64_t n = static_cast<int64_t>(shape.size());
  FORGE_CHECK(n >= x.dim(), "expand: cannot expand shape " << shape_str(x.shape()) << " to fewer dims "
                                                           << shape_str(shape));
  Shape strides(n, 0);
  const int64_t lead = n - x.dim();
  for (int64_t i = 0; i < x.dim(); ++i) {
    int64_t from = x.shape()[i], to = shape[lead + i];
    FORGE_CHECK(from == to || from == 1, "expand: cannot expand shape " << shape_str(x.shape()) << " to "
                                                                       << shape_str(shape));
    strides[lead + i] = from == to ? x.strides()[i] : 0;
  }
  Tensor out = make_view(x, shape, strides, x.offset());
  Shape in_shape = x.shape();
  record("expand", {x}, out, [in_shape](const std::vector<Tensor>& g) { return std::vector<Tensor>{sum_to(g[0], in_shape)}; });
  return out;
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  dim = wrap_dim("unsqueeze", dim, x.dim() + 1);
  Shape shape = x.shape();
  shape.insert(shape.begin() + dim, 1);
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  dim = wrap_dim("squeeze", dim, x.dim());
  FORGE_CHECK(x.shape()[dim] == 1, "squeeze: dimension " << dim << " of shape " << shape_str(x.shape())
                                                         << " is not 1");
  Shape shape = x.shape();
  shape.erase(shape.begin() + dim);
  return reshape(x, shape);
}

Tensor clone(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  copy_(out, x);
  record("clone", {x}, out, [](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0]}; });
  return out;
}

Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = Tensor::empty(x.shape(), dtype, x.device());
  copy_(out, x);
  DType in_dtype = x.dtype();
  if (is_floating(dtype)) {
    record("to_dtype", {x}, out, [in_dtype](const std::vector<Tensor>& g) { return std::vector<Tensor>{to_dtype(g[0], in_dtype)}; });
  }
  return out;
}

Tensor to_dtype_cached(const Tensor& x, const Tensor& cached) {
  FORGE_CHECK(x.defined() && cached.defined(), "to_dtype_cached: undefined tensor");
  FORGE_CHECK(x.shape() == cached.shape(), "to_dtype_cached: tensor of shape " << shape_str(x.shape())
                                                                               << " has a cached copy of shape "
                                                                               << shape_str(cached.shape()));
  FORGE_CHECK(x.device() == cached.device(), "to_dtype_cached: tensor on " << x.device().str()
                                                                           << ", cached copy on " << cached.device().str());
  // A fresh handle: the node recorded below must not attach to the cache's own tensor.
  Tensor out = make_view(cached, cached.shape(), cached.strides(), cached.offset());
  const DType in_dtype = x.dtype();
  if (is_floating(cached.dtype()) && in_dtype != cached.dtype()) {
    record("to_dtype", {x}, out, [in_dtype](const std::vector<Tensor>& g) { return std::vector<Tensor>{to_dtype(g[0], in_dtype)}; });
  }
  return out;
}

}  // namespace forge::ops

namespace forge {
// Tensor's layout methods forward to the differentiable ops above.
Tensor Tensor::view(const Shape& s) const { return ops::view(*this, s); }
Tensor Tensor::reshape(const Shape& s) const { return ops::reshape(*this, s); }
Tensor Tensor::transpose(int64_t a, int64_t b) const { return ops::transpose(*this, a, b); }
Tensor Tensor::permute(const std::vector<int64_t>& d) const { return ops::permute(*this, d); }
Tensor Tensor::narrow(int64_t d, int64_t s, int64_t l) const { return ops::narrow(*this, d, s, l); }
Tensor Tensor::expand(const Shape& s) const { return ops::expand(*this, s); }
Tensor Tensor::contiguous() const { return ops::contiguous(*this); }
Tensor Tensor::to(DType d) const { return ops::to_dtype(*this, d); }
Tensor Tensor::clone() const { return ops::clone(*this); }
}  // namespace forge
