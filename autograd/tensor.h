// Tensor: a cheap shared handle to storage plus a view (shape, strides, offset),
// a dtype, a device, and the autograd state of that value.
//
// Copying a Tensor copies the handle; views (reshape, transpose, narrow, ...)
// share storage. Every op that creates a tensor lives in autograd/ops/; the
// methods here that return tensors are thin forwards to those ops, so that
// views are differentiable too.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/device.h"
#include "common/dtype.h"
#include "common/error.h"

namespace forge {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& s);  // "(2, 3, 4)"
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);

class Node;
class Generator;

class Allocator;

// Raw memory of one device, taken from that device's allocator
// (autograd/allocator.h) and returned to it with the last view.
class Storage {
 public:
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  Allocator* allocator_;
};

using GradHook = std::function<void(const class Tensor& grad)>;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::f32;

  // Autograd state.
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // leaf gradient (a TensorImpl so Tensor stays incomplete-safe)
  std::shared_ptr<Node> grad_fn;     // producer of this value; null for leaves
  int output_nr = 0;                 // which output of grad_fn this is
  std::shared_ptr<Node> grad_accumulator;  // leaves only: created on first use
  std::vector<GradHook> hooks;       // leaves only: fire once the gradient is final
  std::string name;                  // optional, used in error messages
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories -------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32, Device device = Device::cpu());
  // Copies values (converted to dtype) into a new contiguous CPU tensor (.to(device) moves it).
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape, DType dtype = DType::f32);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype = DType::f64);
  static Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape, DType dtype = DType::i64);
  static Tensor arange(int64_t n, DType dtype = DType::i64);
  // Deterministic: the same generator state gives the same values on any thread count and device.
  static Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::f32, double mean = 0.0, double std = 1.0,
                      Device device = Device::cpu());
  static Tensor uniform(const Shape& shape, Generator& gen, DType dtype = DType::f32, double low = 0.0,
                        double high = 1.0, Device device = Device::cpu());

  // ---- metadata --------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t stride(int64_t d) const;
  int64_t offset() const { return impl().offset; }
  int64_t numel() const { return shape_numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  bool is_contiguous() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  std::string str() const;  // "Tensor(f32, (2, 3))"

  // Pointer to the first element of this view.
  void* data_ptr() const;
  template <typename T> T* data() const {
    FORGE_CHECK(dtype_of<T>::value == dtype(), "tensor data<" << dtype_name(dtype_of<T>::value)
                                                << ">() called on a " << dtype_name(dtype()) << " tensor");
    return static_cast<T*>(data_ptr());
  }
  bool shares_storage(const Tensor& other) const;
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }

  // Values as a flat vector in logical (row-major) order, converted (copied to the host first).
  std::vector<float> to_float_vector() const;
  std::vector<double> to_double_vector() const;
  std::vector<int64_t> to_int_vector() const;
  double item() const;  // single-element tensors only; a host round-trip off the CPU

  // ---- autograd --------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  // Leaves only: marks this tensor as a parameter/input whose gradient is wanted.
  Tensor& set_requires_grad(bool on);
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  int output_nr() const { return impl().output_nr; }
  Tensor grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }
  void set_grad(const Tensor& g);
  void zero_grad();  // drops the gradient (next backward writes a fresh one)
  // Called with the final gradient of this leaf, once per backward pass.
  void register_hook(GradHook hook);
  // Same storage and view, no autograd history.
  Tensor detach() const;
  // Reverse-mode pass from this tensor (a scalar unless grad is given).
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;
  const std::string& name() const { return impl().name; }
  Tensor& set_name(std::string n) { impl().name = std::move(n); return *this; }

  // ---- views and conversions (differentiable; defined in ops/view.cpp) -
  Tensor view(const Shape& shape) const;     // contiguous input, same numel; one dim may be -1
  Tensor reshape(const Shape& shape) const;  // view when possible, else a copy
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor expand(const Shape& shape) const;
  Tensor contiguous() const;
  Tensor to(DType dtype) const;
  // This tensor on `device` (itself when already there): a contiguous copy
  // with the same dtype, differentiable (the gradient moves back).
  Tensor to(Device device) const;
  Tensor clone() const;

  TensorImpl& impl() const {
    FORGE_CHECK(impl_ != nullptr, "use of an undefined tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Wraps an existing view of `base`'s storage with a new shape/strides/offset,
// without autograd history. Used by view ops and kernels' callers.
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

}  // namespace forge
