// Launcher detection, the world group and job shut-down (see world.h).
#include "distributed/world.h"

#include <cstdio>
#include <cstdlib>

#ifdef FORGE_WITH_MPI
#include "distributed/mpi_backend.h"
#endif

namespace forge::distributed {
namespace {
std::shared_ptr<ProcessGroup>& world_slot() {
  static std::shared_ptr<ProcessGroup> world;
  return world;
}
}  // namespace

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(var) != nullptr) return true;
  return false;
}

bool mpi_available() {
#ifdef FORGE_WITH_MPI
  return true;
#else
  return false;
#endif
}

std::shared_ptr<ProcessGroup> init_world() {
  std::shared_ptr<ProcessGroup>& world = world_slot();
  if (world) return world;
  if (launched_by_mpi()) {
#ifdef FORGE_WITH_MPI
    world = detail::mpi_init_world();
#else
    FORGE_THROW("this process was started by an MPI launcher, but forge was built without MPI "
                "(install libopenmpi-dev, re-run cmake and rebuild)");
#endif
  } else {
    world = std::make_shared<SingleProcessGroup>();
  }
  return world;
}

int world_rank() { return world_slot() ? world_slot()->rank() : 0; }
int world_size() { return world_slot() ? world_slot()->size() : 1; }

void finalize_world() {
  world_slot().reset();
#ifdef FORGE_WITH_MPI
  detail::mpi_finalize();
#endif
}

int report_error(const std::string& prefix, const std::exception& e, bool internal) {
  const char* kind = internal ? "internal error" : "error";
  const int size = world_size();
  if (size <= 1) {
    std::fprintf(stderr, "%s: %s: %s\n", prefix.c_str(), kind, e.what());
    finalize_world();
    return 1;
  }
  if (dynamic_cast<const UniformError*>(&e) != nullptr) {
    if (world_rank() == 0) std::fprintf(stderr, "%s: %s: %s\n", prefix.c_str(), kind, e.what());
    std::fflush(stderr);
    finalize_world();
    return 1;
  }
  std::fprintf(stderr, "%s: %s on rank %d of %d: %s\n", prefix.c_str(), kind, world_rank(), size, e.what());
  std::fflush(stderr);
  std::fflush(stdout);
#ifdef FORGE_WITH_MPI
  detail::mpi_abort(1);
#else
  return 1;
#endif
}

}  // namespace forge::distributed
