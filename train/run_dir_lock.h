// An exclusive lock on a run directory, so that two `forge train` processes
// never write the same run's checkpoints and metrics: flock(2) on the
// directory itself (no lock file: a failed command leaves the directory as
// it was). The kernel releases a flock when its process exits, however it
// exits (kill -9 included), so a dead holder never blocks the next run. The
// holder's pid, for the message, comes from /proc/locks.
#pragma once

#include <string>

namespace forge::recipes {

class RunDirLock {
 public:
  // Takes the lock on the existing directory `run_dir`; a forge::Error naming
  // the holder's pid when another process holds it.
  explicit RunDirLock(const std::string& run_dir);
  ~RunDirLock();  // releases it
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace forge::recipes
