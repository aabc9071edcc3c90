// Rebinding parameters into flat per-dtype buffers (see flat_parameters.h).
#include "nn/flat_parameters.h"

#include "autograd/ops/elementwise.h"
#include "autograd/ops/view.h"

namespace forge::nn {

FlatParameters::FlatParameters(const Module& module, int64_t pad_multiple) {
  FORGE_CHECK(pad_multiple >= 1, "FlatParameters: pad_multiple must be >= 1, got " << pad_multiple);
  auto params = module.named_parameters();
  const Device device = params.empty() ? Device::cpu() : params.front().second.device();
  std::map<DType, int64_t> totals;
  std::vector<int64_t> offsets;
  for (const auto& [name, p] : params) {
    FORGE_CHECK(p.device() == device, "FlatParameters: parameter '" << name << "' is on " << p.device().str()
                                                                    << " but '" << params.front().first << "' is on "
                                                                    << device.str());
    int64_t& total = totals[p.dtype()];
    const int64_t align = 64 / static_cast<int64_t>(dtype_size(p.dtype()));
    total = (total + align - 1) / align * align;
    offsets.push_back(total);
    total += p.numel();
  }
  for (auto& [dtype, total] : totals) {
    total = (total + pad_multiple - 1) / pad_multiple * pad_multiple;
    FlatBuffer& b = buffers_[dtype];
    b.params = Tensor::zeros({total}, dtype, device);
    b.grads = Tensor::zeros({total}, dtype, device);
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& [name, p] = params[i];
    FlatBuffer& b = buffers_[p.dtype()];
    Tensor dst = make_view(b.params, p.shape(), contiguous_strides(p.shape()), offsets[i]);
    ops::copy_(dst, p);
    // Rebind the parameter's own impl so every holder of the handle sees the flat storage.
    TensorImpl& impl = p.impl();
    impl.storage = b.params.storage();
    impl.offset = offsets[i];
    impl.strides = contiguous_strides(p.shape());
    impl.grad = make_view(b.grads, p.shape(), contiguous_strides(p.shape()), offsets[i]).impl_ptr();
    b.ranges.push_back({name, offsets[i], p.numel(), p.shape()});
  }
}

void FlatParameters::zero_grads() {
  for (auto& [dtype, b] : buffers_) ops::fill_(b.grads, 0.0);
}

}  // namespace forge::nn
