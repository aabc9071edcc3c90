// CPU feature detection, the OpenMP wait policy and the one-time re-exec described in runtime.h.
#include "common/runtime.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace forge::runtime {
namespace {

// Rank of the core types forge knows, weakest first.
int coretype_rank(const std::string& name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "cooperlake" || n == "sapphirerapids") return 3;
  if (n == "skylakex") return 2;
  if (n == "haswell" || n == "zen") return 1;
  return 0;
}

}  // namespace

std::string best_blas_coretype() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl")) {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(1));
    const bool avx512_bf16 = (eax >> 5) & 1u;
    return avx512_bf16 ? "Cooperlake" : "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "";
}

void init(int argc, char** argv) {
  (void)argc;
  if (const char* no = std::getenv("FORGE_NO_REEXEC"); no && std::strcmp(no, "1") == 0) return;
  bool reexec = false;
  const char* forced = std::getenv("FORGE_BLAS_CORETYPE");
  const std::string want = forced ? forced : best_blas_coretype();
  const char* have = std::getenv("OPENBLAS_CORETYPE");
  // Unset means OpenBLAS detects the CPU itself; only override a weaker explicit choice.
  const bool change = forced ? (have == nullptr || want != have)
                             : (have != nullptr && coretype_rank(have) < coretype_rank(want));
  if (!want.empty() && change) {
    setenv("OPENBLAS_CORETYPE", want.c_str(), 1);
    reexec = true;
  }
  // libgomp's default (spin ~300k iterations, milliseconds, before sleeping)
  // burns a core whenever one thread waits, which on a machine shared with
  // other work slows everyone, forge included. Measured on the 2-core VM
  // (bench/README.md, Training): passive was the fastest training step and
  // used the least CPU; a short spin (GOMP_SPINCOUNT 1000-10000) was no faster.
  // Only when the user chose nothing and more than one thread may run.
  const char* threads = std::getenv("OMP_NUM_THREADS");
  const bool one_thread = threads != nullptr && std::strcmp(threads, "1") == 0;
  if (!one_thread && std::getenv("OMP_WAIT_POLICY") == nullptr && std::getenv("GOMP_SPINCOUNT") == nullptr) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    reexec = true;
  }
  if (!reexec) return;
  setenv("FORGE_NO_REEXEC", "1", 1);  // the re-executed process must not loop
  execv("/proc/self/exe", argv);
  // execv only returns on failure: carry on with the libraries as loaded.
}

}  // namespace forge::runtime
