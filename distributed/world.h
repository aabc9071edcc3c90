// The process's place in a distributed job: whether it was started by a
// launcher (mpirun, srun), the world group, and how a job shuts down, both
// normally and on an error on any rank.
//
// MPI is initialised only when the environment shows a launcher (OpenMPI's
// OMPI_COMM_WORLD_SIZE, PMIx's PMIX_RANK, PMI's PMI_SIZE) and forge was built
// with MPI; otherwise the world is a SingleProcessGroup, so a plain
// `forge train` never touches MPI.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include "distributed/process_group.h"

namespace forge::distributed {

// True when this process was started by an MPI launcher.
bool launched_by_mpi();
// True when forge was built with the MPI backend.
bool mpi_available();

// The world group (initialising MPI on first call when launched by one). A
// launcher without MPI support in this build is a forge::Error.
std::shared_ptr<ProcessGroup> init_world();
// Rank and size of the world once init_world() ran (0 and 1 before).
int world_rank();
int world_size();
// Shuts MPI down after a successful run (no-op without MPI). Collective.
void finalize_world();

// An error raised identically on every rank at the same point (the layout
// check agrees on it collectively), so every rank can exit 1 cleanly without
// tearing the job down; rank 0 alone prints it.
class UniformError : public Error {
 public:
  explicit UniformError(const std::string& what) : Error(what) {}
};

// Reports an error that ended a command and returns the exit status (1).
// Single process: prints "<prefix>: error: <message>". In a job of several
// ranks: a UniformError is printed by rank 0 and every rank finalises and
// returns 1; any other error is printed as "<prefix>: error on rank R of N:
// <message>" and the whole job is aborted with MPI_Abort (no rank is left
// waiting in a collective), so this does not return.
int report_error(const std::string& prefix, const std::exception& e, bool internal);

}  // namespace forge::distributed
