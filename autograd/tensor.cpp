// Tensor handles, storage, factories and autograd accessors (see tensor.h).
#include "autograd/tensor.h"

#include <cmath>
#include <sstream>
#include <utility>

#include "autograd/allocator.h"
#include "autograd/dispatch.h"
#include "autograd/engine.h"
#include "autograd/node.h"
#include "autograd/ops/elementwise.h"
#include "common/philox.h"

namespace forge {

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << ")";
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int64_t i = static_cast<int64_t>(s.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

Storage::Storage(size_t nbytes, Device device)
    : nbytes_(nbytes), device_(device), allocator_(&allocator_for(device)) {
  data_ = allocator_->allocate(nbytes == 0 ? 1 : nbytes);
}

Storage::~Storage() { allocator_->deallocate(data_, nbytes_ == 0 ? 1 : nbytes_); }

// ---- factories -------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) FORGE_CHECK(d >= 0, "tensor shape " << shape_str(shape) << " has a negative size");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  op_kernels("full", t).copy.fill(t.data_ptr(), dtype, t.numel(), value);
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

namespace {
template <typename V>
Tensor from_values(const std::vector<V>& values, const Shape& shape, DType dtype) {
  FORGE_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
              "from_vector: " << values.size() << " values do not fill shape " << shape_str(shape));
  Tensor t = Tensor::empty(shape, dtype);
  int64_t one = 1;
  int64_t n = static_cast<int64_t>(values.size());
  op_kernels("from_vector", t).copy.copy_strided(t.data_ptr(), dtype, &one, values.data(), dtype_of<V>::value, &one,
                                                  &n, 1);
  return t;
}
}  // namespace

Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& s, DType d) { return from_values(v, s, d); }
Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& s, DType d) { return from_values(v, s, d); }
Tensor Tensor::from_vector(const std::vector<int64_t>& v, const Shape& s, DType d) { return from_values(v, s, d); }

Tensor Tensor::arange(int64_t n, DType dtype) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<double>(i);
  return from_values(v, {n}, dtype);
}

namespace {
// A new floating tensor filled from Philox counters reserved from `gen`, two
// elements per counter.
Tensor philox_fill(const char* what, kernels::RandomKind kind, const Shape& shape, Generator& gen, DType dtype,
                   double a, double b, Device device) {
  FORGE_CHECK(is_floating(dtype), what << " needs a floating dtype, got " << dtype_name(dtype));
  Tensor t = Tensor::empty(shape, dtype, device);
  const int64_t n = t.numel();
  const uint64_t seed = gen.seed();
  const uint64_t first = gen.reserve(static_cast<uint64_t>((n + 1) / 2));
  op_kernels(what, t).copy.random(kind, t.data_ptr(), dtype, n, seed, first, a, b);
  return t;
}
}  // namespace

Tensor Tensor::randn(const Shape& shape, Generator& gen, DType dtype, double mean, double std, Device device) {
  return philox_fill("randn", kernels::RandomKind::normal, shape, gen, dtype, mean, std, device);
}

Tensor Tensor::uniform(const Shape& shape, Generator& gen, DType dtype, double low, double high, Device device) {
  return philox_fill("uniform", kernels::RandomKind::uniform, shape, gen, dtype, low, high, device);
}

// ---- metadata ----------------------------------------------------------------

namespace {
int64_t wrap_dim(int64_t d, int64_t ndim) {
  FORGE_CHECK(d >= -ndim && d < ndim, "dimension " << d << " is out of range for a " << ndim << "-d tensor");
  return d < 0 ? d + ndim : d;
}
}  // namespace

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim())]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, dim())]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape()[i] == 1) continue;
    if (strides()[i] != expected) return false;
    expected *= shape()[i];
  }
  return true;
}

std::string Tensor::str() const {
  if (!defined()) return "Tensor(undefined)";
  return std::string("Tensor(") + dtype_name(dtype()) + ", " + shape_str(shape()) + ")";
}

void* Tensor::data_ptr() const {
  return static_cast<char*>(impl().storage->data()) + impl().offset * static_cast<int64_t>(dtype_size(dtype()));
}

bool Tensor::shares_storage(const Tensor& other) const {
  return defined() && other.defined() && impl().storage == other.impl().storage;
}

namespace {
template <typename V>
std::vector<V> to_values(const Tensor& t) {
  // Off the CPU: one copy to host memory, then the conversion there.
  const Tensor host = t.device().is_cpu() ? t : t.detach().to(Device::cpu());
  std::vector<V> out(static_cast<size_t>(host.numel()));
  Shape dst_strides = contiguous_strides(host.shape());
  op_kernels("to_vector", host)
      .copy.copy_strided(out.data(), dtype_of<V>::value, dst_strides.data(), host.data_ptr(), host.dtype(),
                         host.strides().data(), host.shape().data(), static_cast<int>(host.dim()));
  return out;
}
}  // namespace

std::vector<float> Tensor::to_float_vector() const { return to_values<float>(*this); }
std::vector<double> Tensor::to_double_vector() const { return to_values<double>(*this); }
std::vector<int64_t> Tensor::to_int_vector() const { return to_values<int64_t>(*this); }

double Tensor::item() const {
  FORGE_CHECK(numel() == 1, "item() needs a single-element tensor, got shape " << shape_str(shape()));
  return to_double_vector()[0];
}

// ---- autograd ------------------------------------------------------------------

Tensor& Tensor::set_requires_grad(bool on) {
  FORGE_CHECK(is_leaf(), "set_requires_grad: only leaf tensors can be marked; detach() first");
  FORGE_CHECK(!on || is_floating(dtype()), "set_requires_grad: " << dtype_name(dtype())
                                                                  << " tensors cannot require grad");
  impl().requires_grad = on;
  return *this;
}

void Tensor::set_grad(const Tensor& g) {
  if (!g.defined()) {
    impl().grad.reset();
    return;
  }
  FORGE_CHECK(g.shape() == shape(), "set_grad: gradient shape " << shape_str(g.shape())
                                                                << " does not match tensor shape " << shape_str(shape()));
  FORGE_CHECK(g.device() == device(), "set_grad: gradient on " << g.device().str() << " for a tensor on "
                                                               << device().str());
  impl().grad = g.impl_ptr();
}

void Tensor::zero_grad() {
  if (!impl().grad) return;
  Tensor g(impl().grad);
  // In place, so gradients that are views into a flat buffer stay views into it.
  if (g.is_contiguous()) {
    op_kernels("zero_grad", g).copy.fill(g.data_ptr(), g.dtype(), g.numel(), 0.0);
  } else {
    impl().grad.reset();
  }
}

void Tensor::register_hook(GradHook hook) {
  FORGE_CHECK(is_leaf() && requires_grad(), "register_hook: only leaves that require grad take hooks");
  impl().hooks.push_back(std::move(hook));
}

Tensor Tensor::detach() const {
  return make_view(*this, shape(), strides(), offset());
}

void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  autograd::backward({*this}, {grad}, retain_graph);
}

void throw_device_mismatch(const char* op, const Tensor& a, const Tensor& b) {
  FORGE_THROW(op << ": tensors on two devices: " << a.str() << " on " << a.device().str() << " and " << b.str()
                 << " on " << b.device().str());
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

}  // namespace forge
