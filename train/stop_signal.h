// Graceful stop on SIGTERM / SIGINT (what Slurm preemption and Ctrl-C send):
// the first signal only sets a flag that the training loop reads between steps
// (it then finishes the step, saves a checkpoint and returns); a second signal
// ends the process at once with the signal's default action.
//
// StopSignals installs the handlers for its lifetime and restores the previous
// ones after. It also ignores SIGXFSZ, so that writing past a file-size limit
// (`ulimit -f`) fails with EFBIG, which forge reports, instead of killing it.
//
// Test hook: FORGE_TEST_SIGNAL_AT="STEP:SIG[,STEP:SIG...]" (SIG = TERM, INT or
// KILL) makes the process send itself SIG in the middle of step STEP (1-based,
// after the step's first micro-batch), so tests stop a run at a known point
// exactly as an external `kill` would (docs/checkpoints.md, "Testing").
#pragma once

#include <csignal>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace forge::recipes {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first stop signal received (SIGTERM or SIGINT), 0 when none.
  int received() const;
  // Raises the signals FORGE_TEST_SIGNAL_AT schedules for `step` (1-based), if any.
  void test_hook(int64_t step) const;

 private:
  struct sigaction old_term_{}, old_int_{}, old_xfsz_{};
  std::vector<std::pair<int64_t, int>> test_signals_;  // (step, signal)
};

// "SIGTERM", "SIGINT", ...
std::string signal_name(int sig);

}  // namespace forge::recipes
