// Process start-up that must happen before any compute: choosing OpenBLAS's
// fastest kernels for this CPU, and how idle OpenMP threads wait.
#pragma once

#include <string>

namespace forge::runtime {

// Call first thing in main(). OpenBLAS picks its kernels when the library is
// loaded, from OPENBLAS_CORETYPE if set. Some environments force a weaker core
// type (e.g. Haswell on an AVX-512 machine, which halves GEMM speed). If the
// CPU supports a faster one than the environment asks for, init() sets it and
// re-executes the program once so the library loads with it. FORGE_BLAS_CORETYPE
// overrides the choice. Likewise libgomp reads its wait policy only at load: when
// neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set (and OMP_NUM_THREADS is not
// 1), init() sets OMP_WAIT_POLICY=passive in the same single re-exec, so idle
// OpenMP threads sleep instead of spinning for milliseconds.
// FORGE_NO_REEXEC=1 disables the re-exec (and both settings).
void init(int argc, char** argv);

// The OpenBLAS core type best suited to this CPU ("Cooperlake", "SkylakeX", "Haswell", ...).
std::string best_blas_coretype();

}  // namespace forge::runtime
