// runtime::init's OpenMP wait policy: a process started with several threads
// and no policy of its own re-executes itself with OMP_WAIT_POLICY=passive; a
// policy the user set (OMP_WAIT_POLICY or GOMP_SPINCOUNT) and single-thread
// runs are left alone. The test binary starts itself with
// FORGE_RUNTIME_ENV_CHILD set; its main (tests/test_main.cpp) then runs
// runtime::init, prints what it got and exits without running tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/e2e/e2e_util.h"

namespace forge {
namespace {

std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The child's output line for the environment `env` (variables of the parent's
// wait policy and re-exec guard removed first).
std::string child_env(const std::string& env) {
  const e2e::CommandResult r =
      e2e::run_shell("env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u FORGE_NO_REEXEC FORGE_RUNTIME_ENV_CHILD=1 " + env + " '" +
                self_path() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const size_t at = r.output.find("policy=[");
  return at == std::string::npos ? r.output : r.output.substr(at, r.output.find('\n', at) - at);
}

TEST(RuntimeEnv, SeveralThreadsWithoutPolicyGetPassive) {
  EXPECT_EQ(child_env("OMP_NUM_THREADS=2"), "policy=[passive] spin=[]");
  EXPECT_EQ(child_env("env -u OMP_NUM_THREADS"), "policy=[passive] spin=[]");
}

TEST(RuntimeEnv, UserChoiceAndOneThreadAreKept) {
  EXPECT_EQ(child_env("OMP_NUM_THREADS=2 OMP_WAIT_POLICY=active"), "policy=[active] spin=[]");
  EXPECT_EQ(child_env("OMP_NUM_THREADS=2 GOMP_SPINCOUNT=5000"), "policy=[] spin=[5000]");
  EXPECT_EQ(child_env("OMP_NUM_THREADS=1"), "policy=[] spin=[]");
  EXPECT_EQ(child_env("OMP_NUM_THREADS=2 FORGE_NO_REEXEC=1"), "policy=[] spin=[]");
}

}  // namespace
}  // namespace forge
