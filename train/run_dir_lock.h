// An exclusive lock on a run directory, so that two `forge train` processes
// never write the same run's checkpoints and metrics: flock(2) on
// <run.dir>/train.lock, which holds the holder's pid. The kernel releases a
// flock when its process exits, however it exits (kill -9 included), so a
// lock file left by a dead process is never mistaken for a live holder.
#pragma once

#include <string>

namespace forge::recipes {

class RunDirLock {
 public:
  // Creates `run_dir` if needed and takes the lock; a forge::Error naming the
  // holder's pid when another process holds it.
  explicit RunDirLock(const std::string& run_dir);
  ~RunDirLock();  // releases it
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace forge::recipes
