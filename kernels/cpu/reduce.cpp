// Reduction kernels (see reduce.h). sum_strided picks one of three loops after
// collapsing dims: reduced dims innermost and contiguous (row sums, full sums),
// kept dims innermost and contiguous (column sums such as a bias gradient,
// vectorised across the output), or a generic strided fallback. The order of
// additions is fixed by the shapes alone, so any thread count gives the same bits.
#include "kernels/cpu/reduce.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/simd.h"

namespace forge::kernels::cpu {
namespace {

constexpr int kMaxDims = 16;
constexpr int64_t kSumLanes = 16;      // independent accumulators in a contiguous sum
constexpr int64_t kBlock = 1024;       // elements per lane-block before folding into the running sum
constexpr int64_t kChunk = 32768;      // elements per parallel piece of one output's reduction
constexpr int64_t kTileWidth = 128;    // outputs per tile in the column-sum loop
constexpr int64_t kRowBlock = 64;      // rows folded into a tile's running sum at a time

struct Dims {
  int n = 0;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxDims];
  int64_t numel() const {
    int64_t p = 1;
    for (int i = 0; i < n; ++i) p *= shape[i];
    return p;
  }
};

// Drops size-1 dims and merges neighbours that are contiguous with each other.
Dims collapse(const int64_t* shape, const int64_t* strides, int n) {
  FORGE_CHECK(n <= kMaxDims, "reductions support at most " << kMaxDims << " dims, got " << n);
  Dims d;
  for (int i = 0; i < n; ++i) {
    if (shape[i] == 1) continue;
    if (d.n > 0 && d.strides[d.n - 1] == strides[i] * shape[i]) {
      d.shape[d.n - 1] *= shape[i];
      d.strides[d.n - 1] = strides[i];
    } else {
      d.shape[d.n] = shape[i];
      d.strides[d.n] = strides[i];
      ++d.n;
    }
  }
  return d;
}

// Offset of flat index i in a multi-dim view.
inline int64_t offset_of(const Dims& d, int64_t i) {
  int64_t off = 0;
  for (int k = d.n - 1; k >= 0; --k) {
    off += (i % d.shape[k]) * d.strides[k];
    i /= d.shape[k];
  }
  return off;
}

// Odometer over the first `n` dims of d, tracking the element offset.
struct Odometer {
  const Dims& d;
  int n;
  int64_t idx[kMaxDims] = {};
  int64_t off = 0;
  Odometer(const Dims& dims, int ndims) : d(dims), n(ndims) {}
  void next() {
    for (int k = n - 1; k >= 0; --k) {
      off += d.strides[k];
      if (++idx[k] < d.shape[k]) return;
      off -= d.shape[k] * d.strides[k];
      idx[k] = 0;
    }
  }
};

// Sum of n contiguous elements: 16 lanes within 1024-element blocks, blocks folded in order.
template <typename T, typename A>
A sum_contig(const T* p, int64_t n) {
  A total = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t m = std::min(kBlock, n - b0);
    const T* q = p + b0;
    A lanes[kSumLanes] = {};
    int64_t i = 0;
    for (; i + kSumLanes <= m; i += kSumLanes) {
      for (int64_t j = 0; j < kSumLanes; ++j) lanes[j] += convert<A>(q[i + j]);
    }
    for (; i < m; ++i) lanes[i % kSumLanes] += convert<A>(q[i]);
    for (int64_t w = kSumLanes / 2; w > 0; w /= 2) {
      for (int64_t j = 0; j < w; ++j) lanes[j] += lanes[j + w];
    }
    total += lanes[0];
  }
  return total;
}

// Reduced dims innermost and contiguous. Each output's reduction is a fixed list of
// pieces (chunks of one long run, or groups of whole runs), summed in order.
template <typename T>
void sum_inner(const T* x, const Dims& kept, const Dims& red, T* out, double scale) {
  using A = acc_t<T>;
  const int64_t K = kept.numel();
  const int64_t L = red.shape[red.n - 1];
  const int64_t runs = red.numel() / L;
  Dims outer_red = red;
  outer_red.n = red.n - 1;
  // Pieces: runs longer than a chunk are split; shorter runs are grouped.
  const bool split_run = runs == 1;
  const int64_t runs_per_piece = split_run ? 1 : std::max<int64_t>(1, kChunk / L);
  const int64_t pieces = split_run ? (L + kChunk - 1) / kChunk : (runs + runs_per_piece - 1) / runs_per_piece;
  auto piece_sum = [&](int64_t base, int64_t p) -> A {
    if (split_run) {
      const int64_t s = p * kChunk;
      return sum_contig<T, A>(x + base + s, std::min(kChunk, L - s));
    }
    A acc = 0;
    const int64_t r_end = std::min(runs, (p + 1) * runs_per_piece);
    for (int64_t r = p * runs_per_piece; r < r_end; ++r) acc += sum_contig<T, A>(x + base + offset_of(outer_red, r), L);
    return acc;
  };
  const int nthreads = omp_get_max_threads();
  const int64_t work = K * runs * L;
  if (K >= 2 * nthreads || pieces == 1 || nthreads == 1) {
#pragma omp parallel for schedule(static) if (work >= kParallelElements && K > 1)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t base = offset_of(kept, k);
      A total = 0;
      for (int64_t p = 0; p < pieces; ++p) total += piece_sum(base, p);
      out[k] = convert<T>(static_cast<A>(total * static_cast<A>(scale)));
    }
  } else {
    std::vector<A> partial(static_cast<size_t>(pieces));
    for (int64_t k = 0; k < K; ++k) {
      const int64_t base = offset_of(kept, k);
#pragma omp parallel for schedule(static) if (work >= kParallelElements)
      for (int64_t p = 0; p < pieces; ++p) partial[p] = piece_sum(base, p);
      A total = 0;
      for (int64_t p = 0; p < pieces; ++p) total += partial[p];
      out[k] = convert<T>(static_cast<A>(total * static_cast<A>(scale)));
    }
  }
}

// Kept innermost dim contiguous: tiles of outputs accumulate whole rows at a time.
template <typename T>
void sum_outer(const T* x, const Dims& kept, const Dims& red, T* out, double scale) {
  using A = acc_t<T>;
  const int64_t C = kept.shape[kept.n - 1];
  Dims kept_outer = kept;
  kept_outer.n = kept.n - 1;
  const int64_t Ko = kept_outer.numel();
  const int64_t tiles_per_row = (C + kTileWidth - 1) / kTileWidth;
  const int64_t tiles = Ko * tiles_per_row;
  const int64_t R = red.numel();
  const int64_t work = Ko * C * R;
#pragma omp parallel for schedule(static) if (work >= kParallelElements && tiles > 1)
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t ko = t / tiles_per_row;
    const int64_t c0 = (t % tiles_per_row) * kTileWidth;
    const int64_t w = std::min(kTileWidth, C - c0);
    const T* base = x + offset_of(kept_outer, ko) + c0;
    A total[kTileWidth] = {};
    A blk[kTileWidth];
    Odometer od(red, red.n);
    for (int64_t r0 = 0; r0 < R; r0 += kRowBlock) {
      const int64_t r_end = std::min(R, r0 + kRowBlock);
      for (int64_t j = 0; j < w; ++j) blk[j] = 0;
      for (int64_t r = r0; r < r_end; ++r) {
        const T* row = base + od.off;
        for (int64_t j = 0; j < w; ++j) blk[j] += convert<A>(row[j]);
        od.next();
      }
      for (int64_t j = 0; j < w; ++j) total[j] += blk[j];
    }
    T* o = out + ko * C + c0;
    const A s = static_cast<A>(scale);
    for (int64_t j = 0; j < w; ++j) o[j] = convert<T>(static_cast<A>(total[j] * s));
  }
}

// Neither side contiguous: one strided walk per output.
template <typename T>
void sum_generic(const T* x, const Dims& kept, const Dims& red, T* out, double scale) {
  using A = acc_t<T>;
  const int64_t K = kept.numel(), R = red.numel();
#pragma omp parallel for schedule(static) if (K * R >= kParallelElements && K > 1)
  for (int64_t k = 0; k < K; ++k) {
    const T* base = x + offset_of(kept, k);
    Odometer od(red, red.n);
    A total = 0;
    for (int64_t r0 = 0; r0 < R; r0 += kBlock) {
      const int64_t r_end = std::min(R, r0 + kBlock);
      A blk = 0;
      for (int64_t r = r0; r < r_end; ++r) {
        blk += convert<A>(base[od.off]);
        od.next();
      }
      total += blk;
    }
    out[k] = convert<T>(static_cast<A>(total * static_cast<A>(scale)));
  }
}

}  // namespace

void sum_strided(DType dtype, const void* x, const int64_t* kept_shape, const int64_t* kept_strides, int nkept,
                 const int64_t* red_shape, const int64_t* red_strides, int nred, void* out, double scale) {
  FORGE_CHECK(is_floating(dtype), "sum: expected a floating-point dtype, got " << dtype_name(dtype));
  Dims kept = collapse(kept_shape, kept_strides, nkept);
  // The order of reduced dims is free: walk them from the largest stride to the smallest.
  std::vector<int> order(static_cast<size_t>(nred));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return red_strides[a] > red_strides[b]; });
  std::vector<int64_t> rs, rst;
  for (int i : order) {
    rs.push_back(red_shape[i]);
    rst.push_back(red_strides[i]);
  }
  Dims red = collapse(rs.data(), rst.data(), nred);
  if (kept.n == 0) {
    kept.n = 1;
    kept.shape[0] = 1;
    kept.strides[0] = 0;
  }
  if (red.n == 0) {
    red.n = 1;
    red.shape[0] = 1;
    red.strides[0] = 0;
  }
  const int64_t K = kept.numel();
  if (K == 0) return;
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    T* po = static_cast<T*>(out);
    if (red.numel() == 0) {
      for (int64_t k = 0; k < K; ++k) po[k] = convert<T>(0.0);
    } else if (red.strides[red.n - 1] == 1) {
      sum_inner(px, kept, red, po, scale);
    } else if (kept.strides[kept.n - 1] == 1) {
      sum_outer(px, kept, red, po, scale);
    } else {
      sum_generic(px, kept, red, po, scale);
    }
  });
}

void max_dim(DType dtype, const void* x, int64_t outer, int64_t n, int64_t inner, void* values, int64_t* indices) {
  FORGE_CHECK(is_floating(dtype), "max: expected a floating-point dtype, got " << dtype_name(dtype));
  FORGE_CHECK(n >= 1, "max: cannot reduce over an empty dimension");
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    const T* px = static_cast<const T*>(x);
    T* pv = static_cast<T*>(values);
    if (inner == 1) {
#pragma omp parallel for schedule(static) if (outer * n >= kParallelElements)
      for (int64_t o = 0; o < outer; ++o) {
        const T* row = px + o * n;
        A best = convert<A>(row[0]);
        int64_t bi = 0;
        for (int64_t j = 1; j < n; ++j) {
          const A v = convert<A>(row[j]);
          if (v > best || (v != v && best == best)) {
            best = v;
            bi = j;
          }
        }
        pv[o] = convert<T>(best);
        indices[o] = bi;
      }
      return;
    }
    const int64_t tiles_per_row = (inner + kTileWidth - 1) / kTileWidth;
#pragma omp parallel for schedule(static) if (outer * n * inner >= kParallelElements)
    for (int64_t t = 0; t < outer * tiles_per_row; ++t) {
      const int64_t o = t / tiles_per_row;
      const int64_t c0 = (t % tiles_per_row) * kTileWidth;
      const int64_t w = std::min(kTileWidth, inner - c0);
      const T* base = px + o * n * inner + c0;
      A best[kTileWidth];
      int64_t bi[kTileWidth];
      for (int64_t i = 0; i < w; ++i) {
        best[i] = convert<A>(base[i]);
        bi[i] = 0;
      }
      for (int64_t j = 1; j < n; ++j) {
        const T* row = base + j * inner;
        for (int64_t i = 0; i < w; ++i) {
          const A v = convert<A>(row[i]);
          const bool take = v > best[i] || (v != v && best[i] == best[i]);
          best[i] = take ? v : best[i];
          bi[i] = take ? j : bi[i];
        }
      }
      for (int64_t i = 0; i < w; ++i) {
        pv[o * inner + c0 + i] = convert<T>(best[i]);
        indices[o * inner + c0 + i] = bi[i];
      }
    }
  });
}

void max_dim_backward(DType dtype, const void* g, const int64_t* indices, int64_t outer, int64_t n, int64_t inner,
                      void* gx) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* pg = static_cast<const T*>(g);
    T* px = static_cast<T*>(gx);
#pragma omp parallel for schedule(static) if (outer * inner >= kParallelElements)
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t j = indices[o * inner + i];
        px[(o * n + j) * inner + i] = pg[o * inner + i];
      }
    }
  });
}

}  // namespace forge::kernels::cpu
