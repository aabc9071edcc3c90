// Dense matrix products on the CPU: row-major GEMM over raw pointers for every
// floating dtype, a batched form, and the row-broadcast fill linear uses for its
// bias. f32 calls OpenBLAS sgemm and f64 dgemm directly.
//
// bf16 and f16: Debian's OpenBLAS 0.3.21 is built without sbgemm (there is no
// cblas_sbgemm symbol), so 16-bit GEMMs convert their operands to fp32 tile by
// tile (the conversion is exact), multiply with sgemm (fp32 products and fp32
// accumulation) and round the fp32 result once to the output dtype
// (round-to-nearest-even). This is numerically the same as an sbgemm with fp32
// accumulation; only the summation order inside sgemm can differ. Tiles are at
// most kLowpTileM x kLowpTileK (A), kLowpTileK x kLowpTileN (B) so the fp32
// scratch stays bounded (~32 MiB per thread) for shapes like the 50257-wide
// LM head; the scratch lives in thread-local buffers that are reused.
//
// Threads: OpenBLAS (OpenMP build) uses omp_get_max_threads() threads per call
// and runs single-threaded when called inside an OpenMP parallel region, which
// gemm_batched uses for many small products.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace forge::kernels::cpu {

inline constexpr int64_t kLowpTileM = 1024;
inline constexpr int64_t kLowpTileN = 2048;
inline constexpr int64_t kLowpTileK = 2048;

// C (m, n) = op(A) (m, k) @ op(B) (k, n) + beta * C, all row-major, leading
// dims (row strides) in elements. trans_a=false: A is stored (m, k) with row
// stride lda; trans_a=true: A is stored (k, m) (op = transpose). Same for B.
// beta=0 never reads C (it may hold garbage). All pointers have `dtype`.
void gemm(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
          const void* b, int64_t ldb, double beta, void* c, int64_t ldc);

// `batch` independent GEMMs with the same shapes; operand i starts at element
// offset a_off[i] / b_off[i] / c_off[i] from the base pointers. Small products
// run in parallel over the batch (OpenBLAS single-threaded inside), large ones
// one after another with OpenBLAS's threads. C blocks must not overlap.
void gemm_batched(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
                  const int64_t* a_off, const void* b, int64_t ldb, const int64_t* b_off, double beta, void* c,
                  int64_t ldc, const int64_t* c_off, int64_t batch);

// Writes row (n elements) into each of the m rows of C (row stride ldc).
// linear uses it to place the bias before a beta=1 GEMM.
void fill_rows(DType dtype, int64_t m, int64_t n, const void* row, void* c, int64_t ldc);

// Threads OpenBLAS will use for one call from outside a parallel region.
int blas_num_threads();
// OpenBLAS's name for the kernels it selected ("Haswell", "Zen", ...).
const char* blas_core_name();

}  // namespace forge::kernels::cpu
