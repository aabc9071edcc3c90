// Small helpers shared by the unit tests: the message of an expected
// forge::Error, a substring expectation that prints both strings, element-wise
// near-equality of two vectors, and a fresh per-test temporary folder.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"

// Expects `needle` to occur in `haystack` (anything std::string takes).
#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "'" << (needle) << "' not in: " << (haystack)

namespace forge::testing {

// Runs `fn`, expects a forge::Error, and returns its message ("" and a test
// failure when nothing is thrown).
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected forge::Error";
  return "";
}

// |got[i] - want[i]| <= atol + rtol * |want[i]| for every element; `what` names the comparison.
inline void expect_all_near(const std::vector<double>& got, const std::vector<double>& want, double atol, double rtol,
                            const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], atol + rtol * std::abs(want[i])) << what << " element " << i;
}

// An empty folder in the system's temporary directory named `prefix` + the
// current test's name (removed first if a previous run left it).
inline std::filesystem::path fresh_test_dir(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / (prefix + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace forge::testing
