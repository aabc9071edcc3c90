// sgemm_ceiling: the GEMM speed this machine's OpenBLAS reaches at GPT-2 124M
// shapes, i.e. the ceiling forge's GEMM-bound ops (linear, matmul) are judged by.
//
// For M = B*T = 1024 rows and each (K, N) of the model's projections (or, with
// --shapes baby, M = 4096 and the nanoGPT baby model's, C = 384) it prints
// GFLOP/s (2*M*N*K / best time of a few runs) for: sgemm with B stored (K, N)
// ("nn"), sgemm with B stored (N, K) as linear passes nn.Linear weights ("nt"),
// and forge's bf16 GEMM in the linear layout (bf16 -> fp32 conversion + sgemm,
// see kernels/cpu/gemm.h). Run by hand:
//   build/bench/sgemm_ceiling [--threads N] [--runs R] [--shapes gpt2|baby]
//   build/bench/sgemm_ceiling --print-core   (the OpenBLAS core name only)
// On a shared machine wall time suffers from other load (printed from
// /proc/loadavg); the "cpu" column divides the FLOPs by the process CPU time
// per thread of the nt run, an estimate of the unloaded rate (an upper bound:
// it excludes time the threads were descheduled).
// It calls forge::runtime::init first, so OPENBLAS_CORETYPE is handled as in
// the forge binary; the core OpenBLAS picked is printed.
#include <omp.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "common/runtime.h"
#include "kernels/cpu/gemm.h"

namespace {

using forge::DType;
namespace cpu = forge::kernels::cpu;

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_seconds_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Timing {
  double wall = 1e30;  // best wall seconds
  double cpu = 1e30;   // best process CPU seconds
};

// Best wall and CPU time of `runs` calls after one warm-up call.
template <typename Fn>
Timing best_time(int runs, Fn&& fn) {
  fn();
  Timing best;
  for (int r = 0; r < runs; ++r) {
    const double t0 = seconds_now(), c0 = cpu_seconds_now();
    fn();
    best.wall = std::min(best.wall, seconds_now() - t0);
    best.cpu = std::min(best.cpu, cpu_seconds_now() - c0);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  forge::runtime::init(argc, argv);
  // --print-core: only the OpenBLAS core forge runs with (bench scripts give PyTorch the same).
  if (argc == 2 && std::strcmp(argv[1], "--print-core") == 0) {
    std::printf("%s\n", cpu::blas_core_name());
    return 0;
  }
  int threads = 2, runs = 5;
  bool baby = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--shapes") == 0) baby = std::strcmp(argv[i + 1], "baby") == 0;
  }
  omp_set_num_threads(threads);
  const char* env_core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("OpenBLAS core: %s, threads: %d (OPENBLAS_CORETYPE=%s), best of %d runs\n", cpu::blas_core_name(),
              cpu::blas_num_threads(), env_core ? env_core : "unset", runs);

  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    char line[128] = {0};
    if (std::fgets(line, sizeof line, f)) std::printf("load average at start: %s", line);
    std::fclose(f);
  }
  // (M, K, N) of the linears of a training step: GPT-2 124M at B*T = 1024, or
  // the nanoGPT "baby" model (C = 384) at B*T = 16*256 = 4096.
  const std::vector<std::array<int64_t, 3>> shapes =
      baby ? std::vector<std::array<int64_t, 3>>{{4096, 384, 1152}, {4096, 384, 384}, {4096, 384, 1536}, {4096, 1536, 384}}
           : std::vector<std::array<int64_t, 3>>{
                 {1024, 768, 2304}, {1024, 768, 768}, {1024, 768, 3072}, {1024, 3072, 768}, {1024, 768, 50257}};
  std::printf("%6s %6s %6s %12s %12s %12s %12s\n", "M", "K", "N", "nn GFLOP/s", "nt GFLOP/s", "nt cpu", "bf16 nt");
  std::mt19937 gen(0);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const auto& s : shapes) {
    const int64_t M = s[0], K = s[1], N = s[2];
    std::vector<float> a(M * K), b(K * N), c(M * N);
    for (float& v : a) v = dist(gen);
    for (float& v : b) v = dist(gen);
    std::vector<forge::bf16> ab(a.size()), bb(b.size()), cb(c.size());
    for (size_t i = 0; i < a.size(); ++i) ab[i] = forge::bf16(a[i]);
    for (size_t i = 0; i < b.size(); ++i) bb[i] = forge::bf16(b[i]);
    const double flops = 2.0 * M * N * K;
    const int r = flops > 2e10 ? std::max(2, runs / 2) : runs;
    // nn: B stored (K, N); nt: the same buffer read as W (N, K), op(B) = W^T.
    const Timing t_nn = best_time(r, [&] {
      cpu::gemm(DType::f32, false, false, M, N, K, a.data(), K, b.data(), N, 0.0, c.data(), N);
    });
    const Timing t_nt = best_time(r, [&] {
      cpu::gemm(DType::f32, false, true, M, N, K, a.data(), K, b.data(), K, 0.0, c.data(), N);
    });
    const Timing t_bf = best_time(r, [&] {
      cpu::gemm(DType::bf16, false, true, M, N, K, ab.data(), K, bb.data(), K, 0.0, cb.data(), N);
    });
    std::printf("%6ld %6ld %6ld %12.1f %12.1f %12.1f %12.1f\n", static_cast<long>(M), static_cast<long>(K),
                static_cast<long>(N), flops / t_nn.wall * 1e-9, flops / t_nt.wall * 1e-9,
                flops / (t_nt.cpu / threads) * 1e-9, flops / t_bf.wall * 1e-9);
    std::fflush(stdout);
  }
  return 0;
}
