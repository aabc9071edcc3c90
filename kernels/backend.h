// The per-device kernel table and its registry: the one way the layers above
// (autograd's ops, the optimizers) reach compute.
//
// A device is a kernel table plus an allocator (autograd/allocator.h). The
// table is plain function pointers over raw device pointers, sizes and dtypes,
// grouped by op family, with the signatures of the CPU kernels in
// kernels/cpu/*.h; a CUDA table fills the same entries with its launches. An
// op looks the table up once per call (an array load) and calls through it
// (one indirect call per kernel launch).
//
// The CPU table (kernels/cpu/register.cpp; every build has it) is registered
// the first time any table is looked up. Other devices register theirs once at
// start-up with register_kernels; a second registration for the same device
// type is an error. Looking up a device that has no table is an error naming
// it (docs/devices.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/device.h"
#include "common/dtype.h"
#include "kernels/types.h"

namespace forge::kernels {

// Buffers: strided copies with dtype conversion, fills, and the moves between
// this device and host memory that Tensor::to uses.
struct CopyKernels {
  // Copies an n-d strided view into another (shapes equal; strides in elements), converting dtypes.
  void (*copy_strided)(void* dst, DType dst_dtype, const int64_t* dst_strides, const void* src, DType src_dtype,
                       const int64_t* src_strides, const int64_t* shape, int ndim);
  // Writes `value` (converted) into n contiguous elements.
  void (*fill)(void* dst, DType dtype, int64_t n, double value);
  // nbytes from this device's memory to host memory, and back.
  void (*to_host)(void* host_dst, const void* src, size_t nbytes);
  void (*from_host)(void* dst, const void* host_src, size_t nbytes);
  // n values of a Philox stream (counters first_counter.., two values each):
  // normal (a = mean, b = std) or uniform in [a, b); see Tensor::randn/uniform.
  void (*random)(RandomKind kind, void* out, DType dtype, int64_t n, uint64_t seed, uint64_t first_counter, double a,
                 double b);
};

struct ElementwiseKernels {
  void (*binary)(BinaryKind kind, DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides,
                 const void* a, const int64_t* a_strides, const void* b, const int64_t* b_strides, double alpha);
  void (*unary)(UnaryKind kind, DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides,
                const void* x, const int64_t* x_strides, double s);
  void (*select)(DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides,
                 const uint8_t* cond, const int64_t* cond_strides, const void* a, const int64_t* a_strides,
                 const void* b, const int64_t* b_strides);
  void (*fill_strided)(DType dtype, const int64_t* shape, int ndim, void* out, const int64_t* out_strides,
                       double value);
};

struct ActivationKernels {
  void (*gelu_forward)(const void* x, void* y, int64_t n, DType dtype);
  void (*gelu_backward)(const void* dy, const void* x, void* dx, int64_t n, DType dtype);
  void (*silu_forward)(const void* x, void* y, int64_t n, DType dtype);
  void (*silu_backward)(const void* dy, const void* x, void* dx, int64_t n, DType dtype);
  void (*swiglu_forward)(const void* gate, const void* up, void* y, int64_t n, DType dtype);
  void (*swiglu_backward)(const void* dy, const void* gate, const void* up, void* dgate, void* dup, int64_t n,
                          DType dtype);
};

struct ReduceKernels {
  void (*sum_strided)(DType dtype, const void* x, const int64_t* kept_shape, const int64_t* kept_strides, int nkept,
                      const int64_t* red_shape, const int64_t* red_strides, int nred, void* out, double scale);
  void (*max_dim)(DType dtype, const void* x, int64_t outer, int64_t n, int64_t inner, void* values,
                  int64_t* indices);
  void (*max_dim_backward)(DType dtype, const void* g, const int64_t* indices, int64_t outer, int64_t n,
                           int64_t inner, void* gx);
};

struct SoftmaxKernels {
  void (*forward)(const void* x, void* y, int64_t outer, int64_t n, int64_t inner, bool log, DType dtype);
  void (*backward)(const void* dy, const void* y, void* dx, int64_t outer, int64_t n, int64_t inner, bool log,
                   DType dtype);
};

struct NormKernels {
  void (*layer_norm_forward)(const void* x, const void* weight, const void* bias, void* y, void* mean, void* rstd,
                             int64_t rows, int64_t C, double eps, DType dtype);
  void (*layer_norm_backward)(const void* dy, const void* x, const void* weight, const void* mean, const void* rstd,
                              void* dx, void* dweight, void* dbias, int64_t rows, int64_t C, DType dtype);
  void (*rms_norm_forward)(const void* x, const void* weight, void* y, void* rstd, int64_t rows, int64_t C,
                           double eps, DType dtype);
  void (*rms_norm_backward)(const void* dy, const void* x, const void* weight, const void* rstd, void* dx,
                            void* dweight, int64_t rows, int64_t C, DType dtype);
};

struct CrossEntropyKernels {
  int64_t (*find_invalid_target)(const void* targets, DType target_dtype, int64_t rows, int64_t V,
                                 int64_t ignore_index);
  CrossEntropyResult (*forward)(const void* logits, const void* targets, DType target_dtype, void* lse, int64_t rows,
                                int64_t V, int64_t ignore_index, DType dtype);
  void (*backward)(const void* logits, const void* targets, DType target_dtype, const void* lse, void* dlogits,
                   int64_t rows, int64_t V, int64_t ignore_index, double scale, DType dtype);
};

struct MatmulKernels {
  void (*gemm)(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
               const void* b, int64_t ldb, double beta, void* c, int64_t ldc);
  void (*gemm_batched)(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a,
                       int64_t lda, const int64_t* a_off, const void* b, int64_t ldb, const int64_t* b_off,
                       double beta, void* c, int64_t ldc, const int64_t* c_off, int64_t batch);
  void (*fill_rows)(DType dtype, int64_t m, int64_t n, const void* row, void* c, int64_t ldc);
};

struct EmbeddingKernels {
  int64_t (*first_invalid)(const void* ids, DType id_dtype, int64_t n, int64_t vocab);
  void (*forward)(const void* ids, DType id_dtype, int64_t n, const void* weight, DType dtype, int64_t channels,
                  int64_t ld, void* out);
  void (*backward)(const void* ids, DType id_dtype, int64_t n, const void* grad_out, DType dtype, int64_t vocab,
                   int64_t channels, void* grad_weight);
};

struct AttentionKernels {
  void (*forward)(DType dtype, const AttentionDims& dims, const AttentionLayout& layout, const void* q, const void* k,
                  const void* v, const int64_t* doc_ids, double scale, void* out, void* lse,
                  const AttentionTiles& tiles);
  void (*backward)(DType dtype, const AttentionDims& dims, const AttentionLayout& layout, const void* q,
                   const void* k, const void* v, const int64_t* doc_ids, double scale, const void* out,
                   const void* lse, const void* dout, void* dq, void* dk, void* dv, const AttentionTiles& tiles);
};

struct MiscKernels {
  void (*rope_apply)(const void* x, const int64_t* x_strides, void* y, const int64_t* positions,
                     bool per_batch_positions, int64_t B, int64_t H, int64_t T, int64_t D, double theta, bool inverse,
                     DType dtype);
  void (*dropout_apply)(const void* x, void* y, int64_t n, double p, uint64_t seed, uint64_t first_counter,
                        DType dtype);
};

// Fused optimizer updates over contiguous fp32 ranges.
struct OptimizerKernels {
  void (*adamw_step)(float* p, const float* g, float* m, float* v, int64_t n, const AdamWHyper& h);
  void (*sgd_step)(float* p, const float* g, float* momentum_buf, int64_t n, float lr, float momentum,
                   float weight_decay);
  // Sum of squares in double, returned to the host (the global gradient norm).
  double (*sum_squares)(const float* x, int64_t n);
};

struct KernelTable {
  const char* name = nullptr;  // the backend, for messages: "cpu"
  CopyKernels copy{};
  ElementwiseKernels elementwise{};
  ActivationKernels activation{};
  ReduceKernels reduce{};
  SoftmaxKernels softmax{};
  NormKernels norm{};
  CrossEntropyKernels cross_entropy{};
  MatmulKernels matmul{};
  EmbeddingKernels embedding{};
  AttentionKernels attention{};
  MiscKernels misc{};
  OptimizerKernels optimizer{};
};

// Makes `table` the kernels of every device of type `type` (the table must
// outlive every use). Throws if that type already has a table or if an entry
// of the table is unset (null).
void register_kernels(Device::Type type, const KernelTable& table);

// The table of `device`'s type; throws naming the device when none is registered.
const KernelTable& kernels_for(Device device);

// Whether `type` has a table (the CPU always does).
bool has_kernels(Device::Type type);

namespace cpu {
// The CPU's table: every entry pointing at the kernels in kernels/cpu/
// (defined in kernels/cpu/register.cpp, below this header's layer by link
// only). The test binary registers it again for its test device.
const KernelTable& kernel_table();
}  // namespace cpu

}  // namespace forge::kernels
