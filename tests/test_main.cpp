// GoogleTest entry point: picks the fast BLAS path first, like the forge binary.
#include <gtest/gtest.h>

#include "common/runtime.h"

int main(int argc, char** argv) {
  forge::runtime::init(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
