// The MPI backend of ProcessGroup (CPU f32 tensors over an MPI communicator),
// and MPI start-up and shut-down. Only built when CMake finds MPI; callers go
// through distributed/world.h, which falls back to the single-process group.
// This header does not include <mpi.h>, so users of forge need no MPI headers.
//
// Every MPI call goes through FORGE_MPI_CHECK (in mpi_backend.cpp), which
// reports the call, file, line and MPI's own error string as a forge::Error;
// communicators use MPI_ERRORS_RETURN so that failures reach the check.
#pragma once

#include <memory>

#include "distributed/process_group.h"

namespace forge::distributed::detail {

// MPI_Init_thread (funneled: only the main thread calls MPI) and the world group.
std::shared_ptr<ProcessGroup> mpi_init_world();
bool mpi_is_initialized();  // initialised and not yet finalised
void mpi_finalize();
[[noreturn]] void mpi_abort(int code);

}  // namespace forge::distributed::detail
