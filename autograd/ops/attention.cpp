// ops::attention (see attention.h): argument checks, dispatch to the fused CPU
// kernel (kernels/cpu/attention.h), and the recorded backward, which calls the
// kernel's tiled backward. The node saves q, k, v, the output and one
// logsumexp per query row: O(T) memory per head beyond inputs and outputs.
// Non-contiguous inputs are copied to contiguous ones; bf16/f16 inputs are
// computed in fp32 (converted copies live only for the duration of the call).
#include "autograd/ops/attention.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops/view.h"
#include "kernels/cpu/attention.h"

namespace forge::ops {
namespace {

// Compute dtype of the kernel for inputs of `dtype`.
DType compute_dtype(DType dtype) { return dtype == DType::f64 ? DType::f64 : DType::f32; }

// Detached, contiguous, in the compute dtype.
Tensor prepare(const Tensor& x, DType compute) {
  NoGradGuard no_grad;
  Tensor y = x.detach();
  if (y.dtype() != compute) y = to_dtype(y, compute);
  return contiguous(y);
}

void check_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& doc_ids) {
  FORGE_CHECK(q.defined() && k.defined() && v.defined(), "attention: q, k and v must be defined");
  FORGE_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
              "attention: expected 4-d q (B, Hq, T, D) and k, v (B, Hkv, T, D), got q "
                  << shape_str(q.shape()) << ", k " << shape_str(k.shape()) << ", v " << shape_str(v.shape()));
  FORGE_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(),
              "attention: q, k, v dtypes differ: q " << dtype_name(q.dtype()) << ", k " << dtype_name(k.dtype())
                                                     << ", v " << dtype_name(v.dtype()));
  FORGE_CHECK(is_floating(q.dtype()), "attention: expected floating-point q, k, v, got " << dtype_name(q.dtype()));
  FORGE_CHECK(q.device() == Device::cpu() && k.device() == Device::cpu() && v.device() == Device::cpu(),
              "attention: only CPU tensors are supported by this build's kernel");
  FORGE_CHECK(k.shape() == v.shape(), "attention: k shape " << shape_str(k.shape()) << " differs from v shape "
                                                            << shape_str(v.shape()));
  FORGE_CHECK(q.size(0) == k.size(0) && q.size(2) == k.size(2) && q.size(3) == k.size(3),
              "attention: q " << shape_str(q.shape()) << " and k " << shape_str(k.shape())
                              << " must agree in batch, sequence length and head dim (B, *, T, D)");
  FORGE_CHECK(k.size(1) > 0 && q.size(1) % k.size(1) == 0,
              "attention: query heads (" << q.size(1) << ", q " << shape_str(q.shape())
                                         << ") must be a multiple of kv heads (" << k.size(1) << ", k "
                                         << shape_str(k.shape()) << ")");
  if (doc_ids.defined()) {
    FORGE_CHECK(doc_ids.dtype() == DType::i32 || doc_ids.dtype() == DType::i64,
                "attention: doc_ids must be i32 or i64, got " << dtype_name(doc_ids.dtype()));
    FORGE_CHECK(doc_ids.shape() == (Shape{q.size(0), q.size(2)}),
                "attention: doc_ids shape " << shape_str(doc_ids.shape()) << " must be (B, T) = "
                                            << shape_str(Shape{q.size(0), q.size(2)}) << " for q "
                                            << shape_str(q.shape()));
  }
}

}  // namespace

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale, const Tensor& doc_ids) {
  check_inputs(q, k, v, doc_ids);
  const kernels::cpu::AttentionDims dims{q.size(0), q.size(1), k.size(1), q.size(2), q.size(3)};
  if (scale <= 0.0) scale = 1.0 / std::sqrt(static_cast<double>(dims.head_dim > 0 ? dims.head_dim : 1));
  const DType dtype = q.dtype();
  const DType compute = compute_dtype(dtype);

  // q: (B, Hq, T, D), k, v: (B, Hkv, T, D), doc: (B, T) i64 or undefined.
  Tensor qc = prepare(q, compute), kc = prepare(k, compute), vc = prepare(v, compute);
  Tensor doc;
  if (doc_ids.defined()) {
    NoGradGuard no_grad;
    doc = contiguous(to_dtype(doc_ids.detach(), DType::i64));
  }
  // out: (B, Hq, T, D) in the compute dtype, lse: (B, Hq, T).
  Tensor out = Tensor::empty(q.shape(), compute);
  Tensor lse = Tensor::empty({dims.batch, dims.q_heads, dims.seq}, compute);
  const int64_t* doc_ptr = doc.defined() ? doc.data<int64_t>() : nullptr;
  kernels::cpu::attention_forward(compute, dims, qc.data_ptr(), kc.data_ptr(), vc.data_ptr(), doc_ptr, scale,
                                  out.data_ptr(), lse.data_ptr());
  if (compute != dtype) {
    NoGradGuard no_grad;
    out = to_dtype(out, dtype);
  }

  if (GradMode::is_enabled() && any_requires_grad({q, k, v})) {
    // 16-bit inputs are saved as given (half the bytes) and converted again in backward.
    Tensor q_saved = compute == dtype ? qc : q.detach();
    Tensor k_saved = compute == dtype ? kc : k.detach();
    Tensor v_saved = compute == dtype ? vc : v.detach();
    record("attention", {q, k, v}, out,
           [q_saved, k_saved, v_saved, out_saved = out.detach(), lse, doc, dims, scale, dtype,
            compute](const std::vector<Tensor>& grads) {
             Tensor qb = prepare(q_saved, compute), kb = prepare(k_saved, compute), vb = prepare(v_saved, compute);
             Tensor ob = prepare(out_saved, compute), gb = prepare(grads[0], compute);
             Tensor dq = Tensor::empty(qb.shape(), compute);
             Tensor dk = Tensor::empty(kb.shape(), compute);
             Tensor dv = Tensor::empty(vb.shape(), compute);
             kernels::cpu::attention_backward(compute, dims, qb.data_ptr(), kb.data_ptr(), vb.data_ptr(),
                                              doc.defined() ? doc.data<int64_t>() : nullptr, scale, ob.data_ptr(),
                                              lse.data_ptr(), gb.data_ptr(), dq.data_ptr(), dk.data_ptr(),
                                              dv.data_ptr());
             if (compute != dtype) {
               dq = to_dtype(dq, dtype);
               dk = to_dtype(dk, dtype);
               dv = to_dtype(dv, dtype);
             }
             return std::vector<Tensor>{dq, dk, dv};
           });
  }
  return out;
}

}  // namespace forge::ops
