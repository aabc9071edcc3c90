// The CPU's kernel table (declared in kernels/backend.h): every KernelTable
// entry pointing at the kernels in kernels/cpu/. kernels/backend.cpp registers
// it for Device::Type::cpu on first use.
#include <cstring>

#include "kernels/backend.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/norm.h"
#include "kernels/cpu/optimizer.h"
#include "kernels/cpu/random.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/rope.h"
#include "kernels/cpu/softmax.h"

namespace forge::kernels::cpu {
namespace {

// Host memory on both sides.
void host_copy(void* dst, const void* src, size_t nbytes) {
  if (nbytes > 0) std::memcpy(dst, src, nbytes);
}

KernelTable make_table() {
  KernelTable t;
  t.name = "cpu";
  t.copy = {copy_strided, fill, host_copy, host_copy, random_fill};
  t.elementwise = {binary, unary, select, fill_strided};
  t.activation = {gelu_forward, gelu_backward, silu_forward, silu_backward, swiglu_forward, swiglu_backward};
  t.reduce = {sum_strided, max_dim, max_dim_backward};
  t.softmax = {softmax_forward, softmax_backward};
  t.norm = {layer_norm_forward, layer_norm_backward, rms_norm_forward, rms_norm_backward};
  t.cross_entropy = {cross_entropy_find_invalid_target, cross_entropy_forward, cross_entropy_backward};
  t.matmul = {gemm, gemm_batched, fill_rows};
  t.embedding = {embedding_first_invalid, embedding_forward, embedding_backward};
  // The layout overloads (the contiguous ones are conveniences for tests and benches).
  t.attention.forward = static_cast<decltype(t.attention.forward)>(&attention_forward);
  t.attention.backward = static_cast<decltype(t.attention.backward)>(&attention_backward);
  t.misc = {rope_apply, dropout_apply};
  t.optimizer = {adamw_step, sgd_step, sum_squares};
  return t;
}

}  // namespace

const KernelTable& kernel_table() {
  static const KernelTable table = make_table();
  return table;
}

}  // namespace forge::kernels::cpu
