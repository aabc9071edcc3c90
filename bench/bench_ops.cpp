// Op benchmark for forge on CPU: times forward+backward of the ops a GPT-2
// (124M) training step spends its time in, at that model's shapes (B*T = 1024
// rows, C = 768, vocab 50257; attention B=4, H=12, D=64, T=256 and 1024).
// Each case builds its leaves once, then repeats "forward, backward from a fixed
// upstream gradient, drop the leaf gradients"; after a few warm-up iterations
// it reports the median over N timed iterations, both of the forward alone and
// of forward+backward. Its twin bench/bench_ops_torch.py runs the same cases in
// PyTorch and prints the same line format, so bench/run_ops.sh can join them:
//   BENCH name=<case> fwd_ms=<x> fwdbwd_ms=<y> gflops=<z or -> threads=<n> iters=<n> min_ms=<m>
// (fwd_ms and fwdbwd_ms are medians; min_ms is the fastest forward+backward).
// GFLOP/s counts model FLOPs of forward+backward (no recomputation); it is
// printed for the GEMM-bound cases only.
//
// Usage: bench_ops [--iters N] [--warmup N] [--filter SUBSTRING]
// Threads: OMP_NUM_THREADS (forge's kernels and OpenBLAS share one OpenMP pool).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "common/philox.h"
#include "common/runtime.h"

namespace {

using forge::DType;
using forge::Generator;
using forge::Tensor;
namespace ops = forge::ops;
using Clock = std::chrono::steady_clock;

constexpr int64_t kRows = 1024;  // B * T = 4 * 256 (GPT-2 124M micro-batch)
constexpr int64_t kC = 768;
constexpr int64_t kVocab = 50257;

struct Options {
  int iters = 0;   // 0: pick per case so the timed loop lasts about kTargetSeconds
  int warmup = 3;
  std::string filter;
};
constexpr double kTargetSeconds = 1.5;
constexpr int kMinIters = 5;
constexpr int kMaxIters = 50;

// One benchmark case: `forward` returns the output; `backward` runs the reverse
// pass from it; `reset` drops the leaves' gradients before the next iteration.
struct Case {
  std::string name;
  double gflop = 0.0;  // model FLOPs of forward+backward, in GFLOP; 0 when not meaningful
  std::function<Tensor()> forward;
  std::function<void(const Tensor&)> backward;
  std::vector<Tensor> leaves;
};

double ms_since(Clock::time_point t0, Clock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Tensor leaf(const forge::Shape& shape, Generator& gen, double std = 1.0) {
  Tensor t = Tensor::randn(shape, gen, DType::f32, 0.0, std);
  t.set_requires_grad(true);
  return t;
}

// y = linear(x, W, b): x (1024, in), W (out, in), b (out) or none.
Case linear_case(const std::string& name, int64_t in, int64_t out, bool bias, Generator& gen) {
  Tensor x = leaf({kRows, in}, gen);                 // x: (1024, in)
  Tensor w = leaf({out, in}, gen, 0.02);             // w: (out, in)
  Tensor b = bias ? leaf({out}, gen, 0.02) : Tensor();  // b: (out)
  Tensor gy = Tensor::randn({kRows, out}, gen);      // dL/dy: (1024, out)
  Case c;
  c.name = name;
  c.gflop = 3.0 * 2.0 * kRows * in * out / 1e9;  // y, dx, dW
  c.forward = [=] { return ops::linear(x, w, b); };
  c.backward = [=](const Tensor& y) { y.backward(gy); };
  c.leaves = {x, w};
  if (bias) c.leaves.push_back(b);
  return c;
}

// Causal multi-head attention: q, k, v (B, H, T, D) -> (B, H, T, D).
Case attention_case(int64_t batch, int64_t heads, int64_t t, int64_t d, Generator& gen) {
  Tensor q = leaf({batch, heads, t, d}, gen);
  Tensor k = leaf({batch, heads, t, d}, gen);
  Tensor v = leaf({batch, heads, t, d}, gen);
  Tensor gy = Tensor::randn({batch, heads, t, d}, gen);
  Case c;
  c.name = "attention_B" + std::to_string(batch) + "_H" + std::to_string(heads) + "_T" + std::to_string(t) +
           "_D" + std::to_string(d);
  // Causal forward: QK^T and PV over the lower triangle, 2 * (2 B H T^2 D) / 2.
  // Backward: dV, dP, dQ, dK, twice the forward. No credit for recomputation.
  const double fwd = 2.0 * batch * heads * static_cast<double>(t) * t * d;
  c.gflop = 3.0 * fwd / 1e9;
  c.forward = [=] { return ops::attention(q, k, v); };
  c.backward = [=](const Tensor& y) { y.backward(gy); };
  c.leaves = {q, k, v};
  return c;
}

// layer_norm over C: x (1024, 768), weight and bias (768).
Case layer_norm_case(Generator& gen) {
  Tensor x = leaf({kRows, kC}, gen);
  Tensor w = leaf({kC}, gen);
  Tensor b = leaf({kC}, gen);
  Tensor gy = Tensor::randn({kRows, kC}, gen);
  Case c;
  c.name = "layer_norm_1024x768";
  c.forward = [=] { return ops::layer_norm(x, w, b); };
  c.backward = [=](const Tensor& y) { y.backward(gy); };
  c.leaves = {x, w, b};
  return c;
}

// gelu (tanh approximation): x (1024, 3072).
Case gelu_case(Generator& gen) {
  Tensor x = leaf({kRows, 4 * kC}, gen);
  Tensor gy = Tensor::randn({kRows, 4 * kC}, gen);
  Case c;
  c.name = "gelu_1024x3072";
  c.forward = [=] { return ops::gelu(x); };
  c.backward = [=](const Tensor& y) { y.backward(gy); };
  c.leaves = {x};
  return c;
}

// Mean cross-entropy: logits (1024, 50257), targets i64 (1024) -> scalar.
Case cross_entropy_case(Generator& gen) {
  Tensor logits = leaf({kRows, kVocab}, gen);
  std::vector<int64_t> ids(kRows);
  for (int64_t i = 0; i < kRows; ++i) ids[i] = static_cast<int64_t>(gen.next_uniform() * kVocab) % kVocab;
  Tensor targets = Tensor::from_vector(ids, {kRows}, DType::i64);
  Case c;
  c.name = "cross_entropy_1024x50257";
  c.forward = [=] { return ops::cross_entropy(logits, targets); };
  c.backward = [](const Tensor& loss) { loss.backward(); };
  c.leaves = {logits};
  return c;
}

// Cases are built lazily (the LM head and cross-entropy hold ~200 MB each), in order.
struct CaseBuilder {
  std::string name;
  std::function<Case(Generator&)> build;
};

std::vector<CaseBuilder> case_builders() {
  auto lin = [](std::string name, int64_t in, int64_t out, bool bias) {
    return CaseBuilder{name, [=](Generator& g) { return linear_case(name, in, out, bias, g); }};
  };
  auto att = [](int64_t t) {
    return CaseBuilder{"attention_B4_H12_T" + std::to_string(t) + "_D64",
                       [=](Generator& g) { return attention_case(4, 12, t, 64, g); }};
  };
  return {
      lin("linear_qkv_768x2304", kC, 3 * kC, true),
      lin("linear_attnproj_768x768", kC, kC, true),
      lin("linear_fc_768x3072", kC, 4 * kC, true),
      lin("linear_mlpproj_3072x768", 4 * kC, kC, true),
      lin("lm_head_768x50257", kC, kVocab, false),
      att(256),
      att(1024),
      {"layer_norm_1024x768", layer_norm_case},
      {"gelu_1024x3072", gelu_case},
      {"cross_entropy_1024x50257", cross_entropy_case},
  };
}

// One iteration: returns {forward ms, forward+backward ms}.
std::pair<double, double> run_once(const Case& c) {
  for (Tensor t : c.leaves) t.set_grad(Tensor());  // as the torch twin does (grad = None)
  const auto t0 = Clock::now();
  Tensor y = c.forward();
  const auto t1 = Clock::now();
  c.backward(y);
  const auto t2 = Clock::now();
  return {ms_since(t0, t1), ms_since(t0, t2)};
}

void run_case(const Case& c, const Options& opt) {
  double warm_ms = 0.0;
  for (int i = 0; i < opt.warmup; ++i) warm_ms = run_once(c).second;
  int iters = opt.iters;
  if (iters <= 0) {
    iters = static_cast<int>(kTargetSeconds * 1e3 / std::max(warm_ms, 1e-3));
    iters = std::clamp(iters, kMinIters, kMaxIters);
  }
  std::vector<double> fwd, total;
  for (int i = 0; i < iters; ++i) {
    auto [f, t] = run_once(c);
    fwd.push_back(f);
    total.push_back(t);
  }
  const double fwd_ms = median(fwd);
  const double total_ms = median(total);
  char gflops[32];
  if (c.gflop > 0)
    std::snprintf(gflops, sizeof gflops, "%.1f", c.gflop / (total_ms * 1e-3));
  else
    std::snprintf(gflops, sizeof gflops, "-");
  const double min_ms = *std::min_element(total.begin(), total.end());
  std::printf("BENCH name=%s fwd_ms=%.3f fwdbwd_ms=%.3f gflops=%s threads=%d iters=%d min_ms=%.3f\n", c.name.c_str(),
              fwd_ms, total_ms, gflops, omp_get_max_threads(), iters, min_ms);
  std::fflush(stdout);
}

Options parse(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_ops: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--iters") {
      opt.iters = std::atoi(value().c_str());
    } else if (a == "--warmup") {
      opt.warmup = std::atoi(value().c_str());
    } else if (a == "--filter") {
      opt.filter = value();
    } else {
      std::fprintf(stderr, "usage: bench_ops [--iters N] [--warmup N] [--filter SUBSTRING]\n");
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  return opt;
}

}  // namespace

int main(int argc, char** argv) {
  forge::runtime::init(argc, argv);
  const Options opt = parse(argc, argv);
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf("# forge bench_ops: threads=%d OPENBLAS_CORETYPE=%s\n", omp_get_max_threads(),
              coretype ? coretype : "(unset: auto-detect)");
  Generator gen(1234);
  int failed = 0;
  for (const CaseBuilder& b : case_builders()) {
    if (!opt.filter.empty() && b.name.find(opt.filter) == std::string::npos) continue;
    try {
      Case c = b.build(gen);
      c.name = b.name;
      run_case(c, opt);
    } catch (const forge::Error& e) {  // report and go on with the other cases
      std::fprintf(stderr, "bench_ops: %s failed: %s\n", b.name.c_str(), e.what());
      ++failed;
    }
  }
  return failed == 0 ? 0 : 1;
}
