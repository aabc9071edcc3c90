// Elementwise ops with broadcasting and their backward rules (see elementwise.h).
// Forward: check dtypes/devices/shapes, compute the broadcast shape and per-input
// strides (0 on broadcast dims), run one strided kernel into a fresh contiguous
// output. Backward: gradients are formed with other ops and summed back to each
// input's shape with sum_to.
#include "autograd/ops/elementwise.h"

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/view.h"
#include "autograd/dispatch.h"

namespace forge::ops {
namespace {

using kernels::BinaryKind;
using kernels::UnaryKind;

void check_floating(const char* op, const Tensor& t) {
  FORGE_CHECK(is_floating(t.dtype()), op << ": expected a floating-point tensor, got " << t.str());
}

void check_same(const char* op, const Tensor& a, const Tensor& b) {
  FORGE_CHECK(a.defined() && b.defined(), op << ": undefined input");
  check_same_device(op, a, b);
  FORGE_CHECK(a.dtype() == b.dtype(), op << ": dtype mismatch between " << a.str() << " and " << b.str());
}

// NumPy broadcasting: trailing dims aligned, size-1 dims stretched.
Shape broadcast_shape(const char* op, const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    FORGE_CHECK(da == db || da == 1 || db == 1,
                op << ": shapes " << shape_str(a) << " and " << shape_str(b) << " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Strides of t read as if expanded to `shape` (0 on broadcast and new leading dims).
Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  const size_t n = shape.size(), lead = n - static_cast<size_t>(t.dim());
  Shape st(n, 0);
  for (size_t i = lead; i < n; ++i) st[i] = t.shape()[i - lead] == 1 ? 0 : t.strides()[i - lead];
  return st;
}

Tensor binary_forward(const char* op, BinaryKind kind, const Tensor& a, const Tensor& b, double alpha = 1.0) {
  check_same(op, a, b);
  const kernels::KernelTable& k = op_kernels(op, a);
  Shape shape = broadcast_shape(op, a.shape(), b.shape());
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  Shape sa = broadcast_strides(a, shape), sb = broadcast_strides(b, shape);
  k.elementwise.binary(kind, a.dtype(), shape.data(), static_cast<int>(shape.size()), out.data_ptr(),
                       out.strides().data(), a.data_ptr(), sa.data(), b.data_ptr(), sb.data(), alpha);
  return out;
}

Tensor unary_forward(const char* op, UnaryKind kind, const Tensor& x, double s = 0.0) {
  const kernels::KernelTable& k = op_kernels(op, x);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  k.elementwise.unary(kind, x.dtype(), x.shape().data(), static_cast<int>(x.dim()), out.data_ptr(),
                      out.strides().data(), x.data_ptr(), x.strides().data(), s);
  return out;
}

// Gradient of a broadcast input: g summed down to the input's shape (undefined if not needed).
Tensor reduce_grad(bool needed, const Tensor& g, const Shape& shape) {
  return needed ? sum_to(g, shape) : Tensor();
}

Tensor zero_scalar(const Tensor& like) { return Tensor::zeros({}, like.dtype(), like.device()); }

}  // namespace

// ---- binary ------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("add", BinaryKind::add, a, b);
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  record("add", {a, b}, out, [sa = a.shape(), sb = b.shape(), ga, gb](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{reduce_grad(ga, g[0], sa), reduce_grad(gb, g[0], sb)};
  });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("sub", BinaryKind::sub, a, b);
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  record("sub", {a, b}, out, [sa = a.shape(), sb = b.shape(), ga, gb](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{reduce_grad(ga, g[0], sa), gb ? neg(sum_to(g[0], sb)) : Tensor()};
  });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("mul", BinaryKind::mul, a, b);
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  // Save an input only when the other input's gradient needs it.
  Tensor sa = gb ? a.detach() : Tensor(), sb = ga ? b.detach() : Tensor();
  record("mul", {a, b}, out, [sa, sb, as = a.shape(), bs = b.shape(), ga, gb](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{ga ? sum_to(mul(g[0], sb), as) : Tensor(), gb ? sum_to(mul(g[0], sa), bs) : Tensor()};
  });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  check_floating("div", a);
  Tensor out = binary_forward("div", BinaryKind::div, a, b);
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  Tensor sb = b.detach(), so = gb ? out.detach() : Tensor();
  record("div", {a, b}, out, [sb, so, as = a.shape(), bs = b.shape(), ga, gb](const std::vector<Tensor>& g) {
    Tensor g_over_b = div(g[0], sb);  // d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b
    return std::vector<Tensor>{reduce_grad(ga, g_over_b, as), gb ? neg(sum_to(mul(g_over_b, so), bs)) : Tensor()};
  });
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  check_floating("pow", a);
  Tensor out = binary_forward("pow", BinaryKind::pow, a, b);
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  Tensor sa = a.detach(), sb = b.detach(), so = gb ? out.detach() : Tensor();
  record("pow", {a, b}, out, [sa, sb, so, ga, gb](const std::vector<Tensor>& g) {
    Tensor da, db;
    if (ga) da = sum_to(mul(g[0], mul(sb, pow(sa, add_scalar(sb, -1.0)))), sa.shape());  // b * a^(b-1)
    if (gb) db = sum_to(mul(g[0], mul(so, log(sa))), sb.shape());  // a^b log(a): needs a > 0
    return std::vector<Tensor>{da, db};
  });
  return out;
}

Tensor neg(const Tensor& x) {
  Tensor out = unary_forward("neg", UnaryKind::neg, x);
  record("neg", {x}, out, [](const std::vector<Tensor>& g) { return std::vector<Tensor>{neg(g[0])}; });
  return out;
}

// ---- scalar forms ------------------------------------------------------------

Tensor add_scalar(const Tensor& x, double s) {
  Tensor out = unary_forward("add_scalar", UnaryKind::add_scalar, x, s);
  record("add_scalar", {x}, out, [](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0]}; });
  return out;
}

Tensor mul_scalar(const Tensor& x, double s) {
  Tensor out = unary_forward("mul_scalar", UnaryKind::mul_scalar, x, s);
  record("mul_scalar", {x}, out, [s](const std::vector<Tensor>& g) { return std::vector<Tensor>{mul_scalar(g[0], s)}; });
  return out;
}

Tensor rsub_scalar(const Tensor& x, double s) {
  check_floating("rsub_scalar", x);
  Tensor out = unary_forward("rsub_scalar", UnaryKind::rsub_scalar, x, s);
  record("rsub_scalar", {x}, out, [](const std::vector<Tensor>& g) { return std::vector<Tensor>{neg(g[0])}; });
  return out;
}

Tensor pow_scalar(const Tensor& x, double p) {
  check_floating("pow_scalar", x);
  Tensor out = unary_forward("pow_scalar", UnaryKind::pow_scalar, x, p);
  Tensor sx = x.detach();
  record("pow_scalar", {x}, out, [sx, p](const std::vector<Tensor>& g) {
    if (p == 0.0) return std::vector<Tensor>{mul_scalar(g[0], 0.0)};
    Tensor d = p == 2.0 ? mul_scalar(sx, 2.0) : mul_scalar(pow_scalar(sx, p - 1.0), p);  // p x^(p-1)
    return std::vector<Tensor>{mul(g[0], d)};
  });
  return out;
}

// ---- unary math ----------------------------------------------------------------

Tensor exp(const Tensor& x) {
  check_floating("exp", x);
  Tensor out = unary_forward("exp", UnaryKind::exp, x);
  Tensor so = out.detach();
  record("exp", {x}, out, [so](const std::vector<Tensor>& g) { return std::vector<Tensor>{mul(g[0], so)}; });
  return out;
}

Tensor log(const Tensor& x) {
  check_floating("log", x);
  Tensor out = unary_forward("log", UnaryKind::log, x);
  Tensor sx = x.detach();
  record("log", {x}, out, [sx](const std::vector<Tensor>& g) { return std::vector<Tensor>{div(g[0], sx)}; });
  return out;
}

Tensor sqrt(const Tensor& x) {
  check_floating("sqrt", x);
  Tensor out = unary_forward("sqrt", UnaryKind::sqrt, x);
  Tensor so = out.detach();
  record("sqrt", {x}, out, [so](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{mul_scalar(div(g[0], so), 0.5)};  // 1 / (2 sqrt(x))
  });
  return out;
}

Tensor rsqrt(const Tensor& x) {
  check_floating("rsqrt", x);
  Tensor out = unary_forward("rsqrt", UnaryKind::rsqrt, x);
  Tensor so = out.detach();
  record("rsqrt", {x}, out, [so](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{mul(g[0], mul_scalar(pow_scalar(so, 3.0), -0.5))};  // -x^(-3/2) / 2
  });
  return out;
}

Tensor tanh(const Tensor& x) {
  check_floating("tanh", x);
  Tensor out = unary_forward("tanh", UnaryKind::tanh, x);
  Tensor so = out.detach();
  record("tanh", {x}, out, [so](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{mul(g[0], rsub_scalar(mul(so, so), 1.0))};  // 1 - tanh^2
  });
  return out;
}

// ---- selection -------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  FORGE_CHECK(cond.defined() && cond.dtype() == DType::u8,
              "where: condition must be a u8 tensor, got " << cond.str());
  check_same("where", a, b);
  const kernels::KernelTable& k = op_kernels("where", a, cond);
  Shape shape = broadcast_shape("where", broadcast_shape("where", a.shape(), b.shape()), cond.shape());
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  Shape sc = broadcast_strides(cond, shape), sa = broadcast_strides(a, shape), sb = broadcast_strides(b, shape);
  k.elementwise.select(a.dtype(), shape.data(), static_cast<int>(shape.size()), out.data_ptr(), out.strides().data(),
                       cond.data<uint8_t>(), sc.data(), a.data_ptr(), sa.data(), b.data_ptr(), sb.data());
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  Tensor scond = cond.detach();
  record("where", {a, b}, out, [scond, as = a.shape(), bs = b.shape(), ga, gb](const std::vector<Tensor>& g) {
    Tensor z = zero_scalar(g[0]);
    return std::vector<Tensor>{ga ? sum_to(where(scond, g[0], z), as) : Tensor(),
                               gb ? sum_to(where(scond, z, g[0]), bs) : Tensor()};
  });
  return out;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  FORGE_CHECK(x.defined(), "masked_fill: undefined input");
  FORGE_CHECK(mask.defined() && mask.dtype() == DType::u8, "masked_fill: mask must be a u8 tensor, got " << mask.str());
  const kernels::KernelTable& k = op_kernels("masked_fill", x, mask);
  Shape shape = broadcast_shape("masked_fill", x.shape(), mask.shape());
  FORGE_CHECK(shape == x.shape(), "masked_fill: mask of shape " << shape_str(mask.shape())
                                                                << " does not broadcast to input shape "
                                                                << shape_str(x.shape()));
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  Tensor v = Tensor::full({}, value, x.dtype(), x.device());
  Shape sm = broadcast_strides(mask, shape), sv(shape.size(), 0);
  k.elementwise.select(x.dtype(), shape.data(), static_cast<int>(shape.size()), out.data_ptr(), out.strides().data(),
                       mask.data<uint8_t>(), sm.data(), v.data_ptr(), sv.data(), x.data_ptr(), x.strides().data());
  Tensor smask = mask.detach();
  record("masked_fill", {x}, out, [smask](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{masked_fill(g[0], smask, 0.0)};
  });
  return out;
}

// ---- in place (no autograd) --------------------------------------------------------

void add_(Tensor& a, const Tensor& b, double alpha) {
  FORGE_CHECK(a.defined() && b.defined(), "add_: undefined input");
  const kernels::KernelTable& k = op_kernels("add_", a, b);
  Shape shape = broadcast_shape("add_", a.shape(), b.shape());
  FORGE_CHECK(shape == a.shape(), "add_: shape " << shape_str(b.shape()) << " does not broadcast to destination shape "
                                                 << shape_str(a.shape()));
  NoGradGuard no_grad;
  Tensor src = b.dtype() == a.dtype() ? b : to_dtype(b, a.dtype());
  Shape sb = broadcast_strides(src, shape);
  k.elementwise.binary(alpha == 1.0 ? BinaryKind::add : BinaryKind::add_scaled, a.dtype(), shape.data(),
                       static_cast<int>(shape.size()), a.data_ptr(), a.strides().data(), a.data_ptr(),
                       a.strides().data(), src.data_ptr(), sb.data(), alpha);
}

void mul_scalar_(Tensor& a, double s) {
  op_kernels("mul_scalar_", a).elementwise.unary(UnaryKind::mul_scalar, a.dtype(), a.shape().data(), static_cast<int>(a.dim()), a.data_ptr(),
                      a.strides().data(), a.data_ptr(), a.strides().data(), s);
}

void fill_(Tensor& a, double value) {
  op_kernels("fill_", a).elementwise.fill_strided(a.dtype(), a.shape().data(), static_cast<int>(a.dim()), a.data_ptr(), a.strides().data(),
                             value);
}

}  // namespace forge::ops
