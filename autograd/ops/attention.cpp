// ops::attention and ops::attention_packed (see attention.h): argument checks,
// dispatch to the fused CPU kernel (kernels/cpu/attention.h), and the recorded
// backward, which calls the kernel's tiled backward. The node saves q, k, v,
// the output and one logsumexp per query row: O(T) memory per head beyond
// inputs and outputs. The kernel reads q, k, v and the upstream gradient in
// place whenever their last dim is contiguous, and writes the output and the
// gradients token-major ((B, T, H, D) memory behind (B, H, T, D) views), so
// the usual head split and merge around attention are views, not copies.
// attention_packed goes further and reads q, k, v straight from the fused
// (B, T, 3 * H * D) projection and returns its gradient in one buffer.
// bf16/f16 inputs are computed in fp32 (converted copies live only for the
// duration of the call).
#include "autograd/ops/attention.h"

#include <cmath>

#include "autograd/dispatch.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops/view.h"

namespace forge::ops {
namespace {

// Compute dtype of the kernel for inputs of `dtype`.
DType compute_dtype(DType dtype) { return dtype == DType::f64 ? DType::f64 : DType::f32; }

// Detached, in the compute dtype, with a contiguous last dim (a view when it already is).
Tensor prepare(const Tensor& x, DType compute) {
  NoGradGuard no_grad;
  Tensor y = x.detach();
  if (y.dtype() != compute) y = to_dtype(y, compute);
  return y.dim() == 0 || y.stride(-1) == 1 || y.size(-1) == 1 ? y : contiguous(y);
}

// Strides of a 4-d (B, H, T, D) tensor whose last dim is contiguous.
kernels::HeadStrides strides_of(const Tensor& x) { return {x.stride(0), x.stride(1), x.stride(2)}; }

// A fresh (B, H, T, D) tensor whose memory is token-major: (B, T, H, D).
Tensor token_major(int64_t B, int64_t H, int64_t T, int64_t D, DType dtype, Device device) {
  Tensor base = Tensor::empty({B, T, H, D}, dtype, device);
  return make_view(base, {B, H, T, D}, {T * H * D, D, H * D, 1}, 0);
}

Tensor doc_tensor(const Tensor& doc_ids) {
  if (!doc_ids.defined()) return Tensor();
  NoGradGuard no_grad;
  return contiguous(to_dtype(doc_ids.detach(), DType::i64));
}

const int64_t* doc_ptr(const Tensor& doc) { return doc.defined() ? doc.data<int64_t>() : nullptr; }

// The fused kernels on (B, H, T, D) views whose last dim is contiguous, in the
// compute dtype: forward writes `out` (a view of that shape) and `lse`,
// backward writes dq, dk, dv.
void run_forward(DType compute, const kernels::AttentionDims& dims, const Tensor& q, const Tensor& k,
                 const Tensor& v, const Tensor& doc, double scale, const Tensor& out, const Tensor& lse) {
  const kernels::KernelTable& kt = op_kernels("attention", q, k, v, doc, out, lse);
  kernels::AttentionLayout ly;
  ly.q = strides_of(q), ly.k = strides_of(k), ly.v = strides_of(v), ly.out = strides_of(out);
  kt.attention.forward(compute, dims, ly, q.data_ptr(), k.data_ptr(), v.data_ptr(), doc_ptr(doc), scale,
                       out.data_ptr(), lse.data_ptr(), kernels::AttentionTiles());
}

void run_backward(DType compute, const kernels::AttentionDims& dims, const Tensor& q, const Tensor& k,
                  const Tensor& v, const Tensor& doc, double scale, const Tensor& out, const Tensor& lse,
                  const Tensor& dout, const Tensor& dq, const Tensor& dk, const Tensor& dv) {
  const kernels::KernelTable& kt = op_kernels("attention backward", q, k, v, doc, out, lse, dout, dq, dk, dv);
  kernels::AttentionLayout ly;
  ly.q = strides_of(q), ly.k = strides_of(k), ly.v = strides_of(v), ly.out = strides_of(out);
  ly.dout = strides_of(dout), ly.dq = strides_of(dq), ly.dk = strides_of(dk), ly.dv = strides_of(dv);
  kt.attention.backward(compute, dims, ly, q.data_ptr(), k.data_ptr(), v.data_ptr(), doc_ptr(doc), scale,
                        out.data_ptr(), lse.data_ptr(), dout.data_ptr(), dq.data_ptr(), dk.data_ptr(), dv.data_ptr(),
                        kernels::AttentionTiles());
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
  op_kernels("attention", q, k, v, doc_ids);
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
  const kernels::AttentionDims dims{q.size(0), q.size(1), k.size(1), q.size(2), q.size(3)};
  const int64_t B = dims.batch, Hq = dims.q_heads, T = dims.seq, D = dims.head_dim;
  if (scale <= 0.0) scale = 1.0 / std::sqrt(static_cast<double>(D > 0 ? D : 1));
  const DType dtype = q.dtype();
  const DType compute = compute_dtype(dtype);

  Tensor qc = prepare(q, compute), kc = prepare(k, compute), vc = prepare(v, compute);
  Tensor doc = doc_tensor(doc_ids);
  Tensor out = token_major(B, Hq, T, D, compute, q.device());
  Tensor lse = Tensor::empty({B, Hq, T}, compute, q.device());  // (B, Hq, T)
  run_forward(compute, dims, qc, kc, vc, doc, scale, out, lse);
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
             const int64_t B = dims.batch, Hq = dims.q_heads, Hkv = dims.kv_heads, T = dims.seq, D = dims.head_dim;
             Tensor qb = prepare(q_saved, compute), kb = prepare(k_saved, compute), vb = prepare(v_saved, compute);
             Tensor ob = prepare(out_saved, compute), gb = prepare(grads[0], compute);
             const Device device = qb.device();
             Tensor dq = token_major(B, Hq, T, D, compute, device);
             Tensor dk = token_major(B, Hkv, T, D, compute, device);
             Tensor dv = token_major(B, Hkv, T, D, compute, device);
             run_backward(compute, dims, qb, kb, vb, doc, scale, ob, lse, gb, dq, dk, dv);
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

Tensor attention_packed(const Tensor& qkv, int64_t heads, double scale, const Tensor& doc_ids) {
  FORGE_CHECK(qkv.defined() && qkv.dim() == 3, "attention_packed: expected qkv of shape (B, T, 3 * heads * head_dim), got "
                                                   << (qkv.defined() ? shape_str(qkv.shape()) : "undefined"));
  FORGE_CHECK(heads > 0 && qkv.size(2) % (3 * heads) == 0,
              "attention_packed: the last dim of qkv " << shape_str(qkv.shape()) << " is not 3 * heads (" << heads
                                                       << ") * head_dim");
  const int64_t B = qkv.size(0), T = qkv.size(1), D = qkv.size(2) / (3 * heads), C = heads * D;
  // q, k, v as (B, H, T, D) views of the packed rows: argument checks, and the
  // layout the kernel reads them with.
  auto part = [B, heads, T, D, C](const Tensor& x, int64_t i) {
    return make_view(x, {B, heads, T, D}, {x.stride(0), D * x.stride(2), x.stride(1), x.stride(2)},
                     x.offset() + i * C * x.stride(2));
  };
  check_inputs(part(qkv, 0), part(qkv, 1), part(qkv, 2), doc_ids);
  const kernels::AttentionDims dims{B, heads, heads, T, D};
  if (scale <= 0.0) scale = 1.0 / std::sqrt(static_cast<double>(D > 0 ? D : 1));
  const DType dtype = qkv.dtype();
  const DType compute = compute_dtype(dtype);

  Tensor packed = prepare(qkv, compute);  // (B, T, 3C), last dim contiguous
  Tensor q = part(packed, 0), k = part(packed, 1), v = part(packed, 2);
  Tensor doc = doc_tensor(doc_ids);
  Tensor out = Tensor::empty({B, T, C}, compute, qkv.device());  // token-major: (B, T, H, D)
  Tensor lse = Tensor::empty({B, heads, T}, compute, qkv.device());
  run_forward(compute, dims, q, k, v, doc, scale, part(out, 0), lse);  // part(out, 0): its head view
  if (compute != dtype) {
    NoGradGuard no_grad;
    out = to_dtype(out, dtype);
  }

  if (GradMode::is_enabled() && any_requires_grad({qkv})) {
    Tensor qkv_saved = compute == dtype ? packed : qkv.detach();
    record("attention_packed", {qkv}, out,
           [qkv_saved, out_saved = out.detach(), lse, doc, dims, scale, dtype, compute,
            part](const std::vector<Tensor>& grads) {
             const int64_t B = dims.batch, H = dims.q_heads, T = dims.seq, D = dims.head_dim;
             Tensor pb = prepare(qkv_saved, compute);
             Tensor ob = prepare(out_saved, compute), gb = prepare(grads[0], compute);  // (B, T, C)
             Tensor dqkv = Tensor::empty({B, T, 3 * H * D}, compute, pb.device());  // every element written by the kernel
             // part(x, 0) of a (B, T, C) tensor is its (B, H, T, D) head view.
             run_backward(compute, dims, part(pb, 0), part(pb, 1), part(pb, 2), doc, scale, part(ob, 0), lse,
                          part(gb, 0), part(dqkv, 0), part(dqkv, 1), part(dqkv, 2));
             if (compute != dtype) dqkv = to_dtype(dqkv, dtype);
             return std::vector<Tensor>{dqkv};
           });
  }
  return out;
}

}  // namespace forge::ops
