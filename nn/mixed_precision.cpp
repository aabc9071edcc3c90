// Working weights and the autocast policy (see mixed_precision.h).
#include "nn/mixed_precision.h"

#include "autograd/grad_mode.h"
#include "autograd/ops/view.h"

namespace forge::nn {
namespace {

thread_local AutocastPolicy current_policy;

}  // namespace

WorkingWeights::WorkingWeights(const FlatParameters& flat, DType dtype) : dtype_(dtype) {
  FORGE_CHECK(dtype == DType::bf16 || dtype == DType::f16,
              "working weights: expected bf16 or f16, got " << dtype_name(dtype));
  for (const auto& [master_dtype, buffer] : flat.buffers()) {
    if (master_dtype != DType::f32) continue;
    Tensor work = Tensor::empty(buffer.params.shape(), dtype, buffer.params.device());
    buffers_.emplace_back(buffer.params, work);
  }
  refresh();
}

void WorkingWeights::refresh() {
  NoGradGuard no_grad;
  for (auto& [master, work] : buffers_) ops::copy_(work, master);
}

Tensor WorkingWeights::find(const Tensor& master) const {
  if (!master.defined()) return {};
  if (auto it = copies_.find(master.impl_ptr().get()); it != copies_.end()) return it->second;
  // First use of this parameter: a view at its place in the working buffer.
  for (const auto& [flat, work] : buffers_) {
    if (!master.shares_storage(flat) || master.dtype() != DType::f32 || !master.is_contiguous()) continue;
    Tensor view = make_view(work, master.shape(), master.strides(), master.offset());
    copies_.emplace(master.impl_ptr().get(), view);
    return view;
  }
  return {};
}

AutocastPolicy autocast_policy() { return current_policy; }

Autocast::Autocast(AutocastPolicy policy) : previous_(current_policy) { current_policy = policy; }

Autocast::~Autocast() { current_policy = previous_; }

Tensor compute_weight(const Tensor& param) {
  const AutocastPolicy& p = current_policy;
  if (!param.defined() || p.dtype == DType::f32 || param.dtype() != DType::f32) return param;
  if (p.weights != nullptr && p.weights->dtype() == p.dtype) {
    if (Tensor copy = p.weights->find(param); copy.defined()) return ops::to_dtype_cached(param, copy);
  }
  return ops::to_dtype(param, p.dtype);
}

Tensor to_compute(const Tensor& x) {
  const DType dtype = current_policy.dtype;
  if (!x.defined() || !is_floating(x.dtype()) || x.dtype() == dtype) return x;
  return ops::to_dtype(x, dtype);
}

}  // namespace forge::nn
