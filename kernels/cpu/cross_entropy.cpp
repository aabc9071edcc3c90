// Fused cross-entropy kernels (see cross_entropy.h). The logsumexp is computed
// in one sweep over each row: blocks of kBlock logits update a running max and
// a running sum (rescaled when the max grows), so the row is read once.
#include "kernels/cpu/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/vec_math.h"

namespace forge::kernels::cpu {
namespace {

constexpr int64_t kBlock = 512;  // logits per online-softmax block (stays in L1)

template <typename Fn>
void dispatch_index(DType t, Fn&& fn) {
  switch (t) {
    case DType::i32: fn(int32_t{}); return;
    case DType::i64: fn(int64_t{}); return;
    default: FORGE_THROW("cross_entropy: targets must be i32 or i64, got " << dtype_name(t));
  }
}

template <typename T>
acc_t<T> row_logsumexp(const T* __restrict x, int64_t V) {
  using A = acc_t<T>;
  A m = -std::numeric_limits<A>::infinity(), s = 0;
  for (int64_t b0 = 0; b0 < V; b0 += kBlock) {
    const int64_t nb = std::min(kBlock, V - b0);
    const T* __restrict xb = x + b0;
    A bm = -std::numeric_limits<A>::infinity();
#pragma omp simd reduction(max : bm)
    for (int64_t i = 0; i < nb; ++i) bm = std::max(bm, convert<A>(xb[i]));
    if (bm > m) {
      s *= std::exp(m - bm);
      m = bm;
    }
    A bs = 0;
#pragma omp simd reduction(+ : bs)
    for (int64_t i = 0; i < nb; ++i) bs += exp_approx(convert<A>(xb[i]) - m);
    s += bs;
  }
  return m + std::log(s);
}

template <typename T, typename I>
CrossEntropyResult ce_fwd(const T* logits, const I* targets, acc_t<T>* lse, int64_t rows, int64_t V,
                          int64_t ignore) {
  using A = acc_t<T>;
  std::vector<A> row_loss(static_cast<size_t>(rows));
#pragma omp parallel for schedule(static) if (rows * V > kParallelRowElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = logits + r * V;
    const A l = row_logsumexp(xr, V);
    lse[r] = l;
    const int64_t t = static_cast<int64_t>(targets[r]);
    row_loss[r] = t == ignore ? A(0) : l - convert<A>(xr[t]);
  }
  CrossEntropyResult res;
  for (int64_t r = 0; r < rows; ++r) {
    if (static_cast<int64_t>(targets[r]) == ignore) continue;
    res.loss_sum += static_cast<double>(row_loss[r]);
    ++res.count;
  }
  return res;
}

template <typename T, typename I>
void ce_bwd(const T* logits, const I* targets, const acc_t<T>* lse, T* dlogits, int64_t rows, int64_t V,
            int64_t ignore, double scale) {
  using A = acc_t<T>;
  const A sc = static_cast<A>(scale);
#pragma omp parallel for schedule(static) if (rows * V > kParallelRowElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* __restrict xr = logits + r * V;
    T* __restrict dr = dlogits + r * V;
    const int64_t t = static_cast<int64_t>(targets[r]);
    if (t == ignore) {
      for (int64_t v = 0; v < V; ++v) dr[v] = convert<T>(A(0));
      continue;
    }
    const A l = lse[r];
    for (int64_t v = 0; v < V; ++v) dr[v] = convert<T>(exp_approx(convert<A>(xr[v]) - l) * sc);
    dr[t] = convert<T>((exp_approx(convert<A>(xr[t]) - l) - A(1)) * sc);
  }
}

}  // namespace

int64_t cross_entropy_find_invalid_target(const void* targets, DType target_dtype, int64_t rows, int64_t V,
                                          int64_t ignore_index) {
  int64_t bad = -1;
  dispatch_index(target_dtype, [&](auto tag) {
    using I = decltype(tag);
    const I* t = static_cast<const I*>(targets);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t v = static_cast<int64_t>(t[r]);
      if (v != ignore_index && (v < 0 || v >= V)) {
        bad = r;
        return;
      }
    }
  });
  return bad;
}

CrossEntropyResult cross_entropy_forward(const void* logits, const void* targets, DType target_dtype, void* lse,
                                         int64_t rows, int64_t V, int64_t ignore_index, DType dtype) {
  CrossEntropyResult res;
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    dispatch_index(target_dtype, [&](auto itag) {
      using I = decltype(itag);
      res = ce_fwd(static_cast<const T*>(logits), static_cast<const I*>(targets), static_cast<acc_t<T>*>(lse), rows,
                   V, ignore_index);
    });
  });
  return res;
}

void cross_entropy_backward(const void* logits, const void* targets, DType target_dtype, const void* lse,
                            void* dlogits, int64_t rows, int64_t V, int64_t ignore_index, double scale, DType dtype) {
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    dispatch_index(target_dtype, [&](auto itag) {
      using I = decltype(itag);
      ce_bwd(static_cast<const T*>(logits), static_cast<const I*>(targets), static_cast<const acc_t<T>*>(lse),
             static_cast<T*>(dlogits), rows, V, ignore_index, scale);
    });
  });
}

}  // namespace forge::kernels::cpu
