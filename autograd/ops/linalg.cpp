// matmul, linear and embedding with their backward rules (see linalg.h).
//
// Operands reach BLAS without a copy whenever their last two dims are a
// row-major matrix with some row stride, or the transpose of one (strides
// (1, ld)); anything else is copied to a dense tensor first. Batched matmul
// becomes one GEMM when b is the same matrix for every batch entry and a's
// batch entries are consecutive row blocks (x (B, T, C) @ W is one
// (B*T, C) @ (C, N) product); otherwise one GEMM per batch entry.
#include "autograd/ops/linalg.h"

#include <sstream>

#include "autograd/dispatch.h"
#include "autograd/engine.h"
#include "autograd/node.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/view.h"

namespace forge::ops {
namespace {

// A BLAS view of the last two dims of a tensor: `t` (maybe a dense copy of the
// input), stored transposed or not, with row stride `ld`.
struct MatrixOperand {
  Tensor t;
  bool trans = false;
  int64_t ld = 0;
};

// A raw dense copy, recording nothing (the op itself records the backward).
Tensor dense_copy(const Tensor& x) {
  Tensor c = Tensor::empty(x.shape(), x.dtype(), x.device());
  copy_(c, x);
  return c;
}

MatrixOperand as_blas_matrix(const Tensor& x) {
  const int64_t rows = x.size(-2), cols = x.size(-1), s0 = x.stride(-2), s1 = x.stride(-1);
  // Row-major (rows, cols) with row stride s0; size-1 dims may carry any stride.
  if ((cols <= 1 || s1 == 1) && (rows <= 1 || s0 >= std::max<int64_t>(cols, 1)))
    return {x, false, rows <= 1 ? std::max<int64_t>(cols, 1) : s0};
  // Transpose of a row-major (cols, rows) matrix with row stride s1.
  if ((rows <= 1 || s0 == 1) && (cols <= 1 || s1 >= std::max<int64_t>(rows, 1)))
    return {x, true, cols <= 1 ? std::max<int64_t>(rows, 1) : s1};
  Tensor c = dense_copy(x);
  return {c, false, std::max<int64_t>(cols, 1)};
}

// C (m, n) = op(A) @ op(B) + beta * C for operands already in BLAS form; with
// a_t / b_t the product uses the transpose of the matrix the operand holds
// (so W^T for a (out, in) weight is `wm, true`). C is a dense (m, n) tensor, row stride ldc.
void gemm_operands(const char* op, DType dtype, const MatrixOperand& a, bool a_t, const MatrixOperand& b, bool b_t,
                   int64_t m, int64_t n, int64_t k, double beta, const Tensor& c, int64_t ldc) {
  op_kernels(op, c, a.t, b.t)
      .matmul.gemm(dtype, a.trans != a_t, b.trans != b_t, m, n, k, a.t.data_ptr(), a.ld, b.t.data_ptr(), b.ld, beta,
                   c.data_ptr(), ldc);
}

void check_float(const char* op, const char* what, const Tensor& t) {
  FORGE_CHECK(t.defined(), op << ": " << what << " is undefined");
  FORGE_CHECK(is_floating(t.dtype()), op << ": " << what << " must be a floating tensor, got " << t.str());
}

// Broadcast of the batch (leading) dims of a and b, NumPy style.
Shape broadcast_batch(const Tensor& a, const Tensor& b) {
  const Shape sa(a.shape().begin(), a.shape().end() - 2), sb(b.shape().begin(), b.shape().end() - 2);
  const size_t n = std::max(sa.size(), sb.size());
  Shape out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - sa.size() ? 1 : sa[i - (n - sa.size())];
    const int64_t db = i < n - sb.size() ? 1 : sb[i - (n - sb.size())];
    FORGE_CHECK(da == db || da == 1 || db == 1, "matmul: batch dims of a " << shape_str(a.shape()) << " and b "
                                                                           << shape_str(b.shape())
                                                                           << " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Element offset of each batch entry (row-major over `batch`) of t's matrices;
// broadcast dims contribute 0.
std::vector<int64_t> batch_offsets(const Tensor& t, const Shape& batch) {
  const int64_t nb = static_cast<int64_t>(batch.size());
  const int64_t lead = nb - (t.dim() - 2);
  Shape strides(batch.size(), 0);
  for (int64_t d = lead; d < nb; ++d) strides[d] = t.shape()[d - lead] == 1 ? 0 : t.strides()[d - lead];
  const int64_t count = shape_numel(batch);
  std::vector<int64_t> offsets(static_cast<size_t>(count), 0);
  std::vector<int64_t> idx(batch.size(), 0);
  int64_t off = 0;
  for (int64_t i = 0; i < count; ++i) {
    offsets[i] = off;
    for (int64_t d = nb - 1; d >= 0; --d) {  // odometer increment
      off += strides[d];
      if (++idx[d] < batch[d]) break;
      off -= strides[d] * batch[d];
      idx[d] = 0;
    }
  }
  return offsets;
}

Shape with_matrix(Shape batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

// out (batch..., M, N), contiguous = a @ b, no autograd.
Tensor matmul_forward(const Tensor& a_in, const Tensor& b_in, const Shape& batch) {
  const MatrixOperand a = as_blas_matrix(a_in), b = as_blas_matrix(b_in);
  const int64_t M = a_in.size(-2), K = a_in.size(-1), N = b_in.size(-1);
  Tensor out = Tensor::empty(with_matrix(batch, M, N), a_in.dtype(), a_in.device());
  if (out.numel() == 0) return out;
  const std::vector<int64_t> a_off = batch_offsets(a.t, batch), b_off = batch_offsets(b.t, batch);
  const int64_t count = static_cast<int64_t>(a_off.size());
  bool b_fixed = true, a_rows = !a.trans;
  for (int64_t i = 1; i < count; ++i) {
    b_fixed = b_fixed && b_off[i] == b_off[0];
    a_rows = a_rows && a_off[i] == a_off[0] + i * M * a.ld;
  }
  const DType dt = a_in.dtype();
  const char* ap = static_cast<const char*>(a.t.data_ptr());
  const char* bp = static_cast<const char*>(b.t.data_ptr());
  const size_t es = dtype_size(dt);
  const kernels::KernelTable& kt = op_kernels("matmul", out, a.t, b.t);
  if (b_fixed && a_rows) {  // one GEMM: (count*M, K) @ (K, N)
    kt.matmul.gemm(dt, false, b.trans, count * M, N, K, ap + a_off[0] * es, a.ld, bp + b_off[0] * es, b.ld, 0.0,
                   out.data_ptr(), N);
    return out;
  }
  std::vector<int64_t> c_off(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) c_off[i] = i * M * N;
  kt.matmul.gemm_batched(dt, a.trans, b.trans, M, N, K, a.t.data_ptr(), a.ld, a_off.data(), b.t.data_ptr(), b.ld,
                         b_off.data(), 0.0, out.data_ptr(), N, c_off.data(), count);
  return out;
}

Shape batch_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

std::string index_str(int64_t flat, const Shape& shape) {
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_float("matmul", "a", a);
  check_float("matmul", "b", b);
  check_same_device("matmul", a, b);
  FORGE_CHECK(a.dim() >= 2 && b.dim() >= 2, "matmul: operands need at least 2 dims (reshape vectors to matrices); got a "
                                                << shape_str(a.shape()) << " and b " << shape_str(b.shape()));
  FORGE_CHECK(a.dtype() == b.dtype(), "matmul: dtypes differ: a " << a.str() << ", b " << b.str());
  FORGE_CHECK(a.size(-1) == b.size(-2), "matmul: inner dimensions differ: a " << shape_str(a.shape()) << " has "
                                                                              << a.size(-1) << " columns but b "
                                                                              << shape_str(b.shape()) << " has "
                                                                              << b.size(-2) << " rows");
  const Shape batch = broadcast_batch(a, b);
  Tensor out = matmul_forward(a, b, batch);
  if (!any_requires_grad({a, b})) return out;

  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  // ga needs b, gb needs a: keep only what is used.
  Tensor a_saved = need_b ? a.detach() : Tensor(), b_saved = need_a ? b.detach() : Tensor();
  const Shape a_shape = a.shape(), b_shape = b.shape();
  // b is one matrix for all batch entries and a has every entry: gb is one GEMM over all rows.
  const bool gb_flat = shape_numel(batch_of(b)) == 1 && batch_of(a) == batch && shape_numel(batch) > 1;
  record("matmul", {a, b}, out, [=](const std::vector<Tensor>& grads) {
    const Tensor& g = grads[0];  // (batch..., M, N)
    Tensor ga, gb;
    if (need_a) {  // ga = g @ b^T: (batch..., M, K)
      ga = matmul(g, transpose(b_saved, -1, -2));
      if (ga.shape() != a_shape) ga = sum_to(ga, a_shape);
    }
    if (need_b) {  // gb = a^T @ g: (batch..., K, N), summed over broadcast dims
      if (gb_flat) {
        const int64_t K = a_shape.back(), N = g.shape().back();
        Tensor a2 = reshape(a_saved, {-1, K}), g2 = reshape(g, {-1, N});  // (B*M, K), (B*M, N)
        gb = reshape(matmul(transpose(a2, 0, 1), g2), b_shape);
      } else {
        gb = matmul(transpose(a_saved, -1, -2), g);
        if (gb.shape() != b_shape) gb = sum_to(gb, b_shape);
      }
    }
    return std::vector<Tensor>{ga, gb};
  });
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_float("linear", "input", x);
  check_float("linear", "weight", weight);
  const kernels::KernelTable& kt = op_kernels("linear", x, weight, bias);
  FORGE_CHECK(weight.dim() == 2, "linear: weight must be (out, in), got shape " << shape_str(weight.shape()));
  FORGE_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1),
              "linear: input of shape " << shape_str(x.shape()) << " does not match weight of shape "
                                        << shape_str(weight.shape()) << " (expected input (..., " << weight.size(1)
                                        << "))");
  FORGE_CHECK(x.dtype() == weight.dtype(), "linear: dtypes differ: input " << x.str() << ", weight " << weight.str());
  const int64_t in = weight.size(1), out_f = weight.size(0);
  if (bias.defined()) {
    check_float("linear", "bias", bias);
    FORGE_CHECK(bias.dim() == 1 && bias.size(0) == out_f, "linear: bias of shape " << shape_str(bias.shape())
                                                                                    << " does not match weight of shape "
                                                                                    << shape_str(weight.shape())
                                                                                    << " (expected (" << out_f << "))");
    FORGE_CHECK(bias.dtype() == x.dtype(), "linear: dtypes differ: input " << x.str() << ", bias " << bias.str());
  }
  Shape lead(x.shape().begin(), x.shape().end() - 1);
  const int64_t rows = shape_numel(lead);
  Shape out_shape = lead;
  out_shape.push_back(out_f);
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());  // (..., out)

  if (y.numel() > 0) {
    // x as a (rows, in) BLAS matrix: 2-D views go as they are; otherwise contiguous.
    MatrixOperand xm;
    if (x.dim() == 2) {
      xm = as_blas_matrix(x);
    } else {
      Tensor xc = x.is_contiguous() ? x : dense_copy(x);
      xm = {xc, false, std::max<int64_t>(in, 1)};
    }
    const MatrixOperand wm = as_blas_matrix(weight);  // used as W^T: (in, out)
    double beta = 0.0;
    if (bias.defined()) {
      Tensor bc = bias.is_contiguous() ? bias : dense_copy(bias);
      kt.matmul.fill_rows(y.dtype(), rows, out_f, bc.data_ptr(), y.data_ptr(), out_f);
      beta = 1.0;
    }
    gemm_operands("linear", y.dtype(), xm, false, wm, true, rows, out_f, in, beta, y, out_f);
  }
  if (!any_requires_grad({x, weight, bias})) return y;

  const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  Tensor x_saved = need_w ? x.detach() : Tensor(), w_saved = need_x ? weight.detach() : Tensor();
  // A parameter's gradient may go straight into its .grad (see direct_grad_target).
  Tensor w_leaf = need_w && weight.is_leaf() ? weight : Tensor();
  const Shape x_shape = x.shape();
  record("linear", {x, weight, bias}, y, [=](const std::vector<Tensor>& grads) {
    Tensor g2 = reshape(grads[0], {rows, out_f});  // (rows, out)
    Tensor gx, gw, gb;
    if (need_x) gx = reshape(matmul(g2, w_saved), x_shape);  // (rows, out) @ (out, in)
    if (need_w) {                                            // (out, rows) @ (rows, in): one GEMM over all rows
      Tensor x2 = x_saved.dim() == 2 ? x_saved : reshape(x_saved, {rows, in});
      Tensor target = autograd::direct_grad_target(w_leaf);
      if (target.defined() && g2.dtype() == target.dtype()) {
        // weight.grad += g2^T @ x2, one GEMM with beta = 1.
        gemm_operands("linear backward", target.dtype(), as_blas_matrix(g2), true, as_blas_matrix(x2), false, out_f,
                      in, rows, 1.0, target, in);
      } else {
        gw = matmul(transpose(g2, 0, 1), x2);
      }
    }
    if (need_b) gb = sum(g2, {0});  // column sums: (out)
    return std::vector<Tensor>{gx, gw, gb};
  });
  return y;
}

Tensor embedding(const Tensor& ids, const Tensor& weight) {
  FORGE_CHECK(ids.defined() && (ids.dtype() == DType::i32 || ids.dtype() == DType::i64),
              "embedding: ids must be an i32 or i64 tensor, got " << (ids.defined() ? ids.str() : "undefined"));
  check_float("embedding", "weight", weight);
  const kernels::KernelTable& kt = op_kernels("embedding", weight, ids);
  FORGE_CHECK(weight.dim() == 2, "embedding: weight must be (V, C), got shape " << shape_str(weight.shape()));
  const int64_t vocab = weight.size(0), channels = weight.size(1), n = ids.numel();
  const DType dt = weight.dtype();
  Tensor idc = ids.is_contiguous() ? ids : dense_copy(ids);
  const int64_t bad = kt.embedding.first_invalid(idc.data_ptr(), idc.dtype(), n, vocab);
  FORGE_CHECK(bad < 0, "embedding: token id "
                           << static_cast<int64_t>(reshape(idc.detach(), {-1}).narrow(0, bad, 1).item())
                                              << " at flat position " << bad << " (index "
                                              << index_str(bad, ids.shape()) << " of ids " << shape_str(ids.shape())
                                              << ") is outside the vocabulary [0, " << vocab << ") of weight "
                                              << shape_str(weight.shape()));
  Shape out_shape = ids.shape();
  out_shape.push_back(channels);
  Tensor out = Tensor::empty(out_shape, dt, weight.device());  // (*ids, C)
  if (out.numel() > 0) {
    const bool rows_ok = (channels <= 1 || weight.stride(1) == 1) && (vocab <= 1 || weight.stride(0) >= channels);
    Tensor w = rows_ok ? weight : dense_copy(weight);
    const int64_t ld = rows_ok ? weight.stride(0) : channels;
    kt.embedding.forward(idc.data_ptr(), idc.dtype(), n, w.data_ptr(), dt, channels, ld, out.data_ptr());
  }
  if (!any_requires_grad({weight})) return out;

  // Own a copy of the ids: a data loader may refill its batch buffer before backward runs.
  Tensor ids_saved = idc.shares_storage(ids) ? dense_copy(idc) : idc;
  record("embedding", {ids, weight}, out, [ids_saved, vocab, channels, dt](const std::vector<Tensor>& grads) {
    Tensor g = grads[0];  // (*ids, C)
    if (g.dtype() != dt) g = to_dtype(g, dt);
    if (!g.is_contiguous()) g = contiguous(g);
    const kernels::KernelTable& kt = op_kernels("embedding backward", g, ids_saved);
    Tensor gw = Tensor::empty({vocab, channels}, dt, g.device());  // (V, C), every row written
    kt.embedding.backward(ids_saved.data_ptr(), ids_saved.dtype(), ids_saved.numel(), g.data_ptr(), dt, vocab,
                          channels, gw.data_ptr());
    return std::vector<Tensor>{Tensor(), gw};
  });
  return out;
}

}  // namespace forge::ops
