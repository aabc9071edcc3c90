// GoogleTest entry point: picks the fast BLAS path first, like the forge binary,
// and registers the test-only second device (tests/support/test_device.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "common/runtime.h"
#include "tests/support/test_device.h"

int main(int argc, char** argv) {
  forge::runtime::init(argc, argv);
  // Started by the RuntimeEnv tests (tests/e2e/test_runtime_env.cpp) as a child:
  // report the OpenMP wait settings runtime::init left, run no test.
  if (std::getenv("FORGE_RUNTIME_ENV_CHILD") != nullptr) {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* spin = std::getenv("GOMP_SPINCOUNT");
    std::printf("policy=[%s] spin=[%s]\n", policy ? policy : "", spin ? spin : "");
    return 0;
  }
  forge::testing::register_test_device();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
