// Entry point of forge_mpi_tests, the GoogleTest binary that runs under
// `mpirun -np N` (tests/CMakeLists.txt registers N = 2 and 4): every rank runs
// every test; MPI is initialised before and finalised after them. A rank that
// fails reports through GoogleTest and makes mpirun's exit status non-zero.
#include <gtest/gtest.h>

#include <cstdio>

#include "distributed/world.h"

namespace {
// Ranks other than 0 print only their failures, prefixed with the rank.
class FailurePrinter : public ::testing::EmptyTestEventListener {
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: failure\n%s\n", forge::distributed::world_rank(),
                 r.file_name() ? r.file_name() : "?", r.line_number(), r.message());
  }
};
}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  forge::distributed::init_world();
  // Only rank 0 prints GoogleTest's progress; other ranks print their failures.
  if (forge::distributed::world_rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailurePrinter);
  }
  const int status = RUN_ALL_TESTS();
  forge::distributed::finalize_world();
  return status;
}
