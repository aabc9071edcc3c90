// The run directory's lock (see run_dir_lock.h).
#include "train/run_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace forge::recipes {

RunDirLock::RunDirLock(const std::string& run_dir) {
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  FORGE_CHECK(!ec, "cannot create run directory '" << run_dir << "': " << ec.message() << " (is run.dir writable?)");
  const std::string path = run_dir + "/train.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  FORGE_CHECK(fd_ >= 0, "cannot open '" << path << "': " << std::strerror(errno) << " (is run.dir writable?)");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    ::close(fd_);
    fd_ = -1;
    FORGE_CHECK(err == EWOULDBLOCK, "cannot lock '" << path << "': " << std::strerror(err));
    std::string holder(pid, n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    FORGE_THROW("run directory '" << run_dir << "' is in use by another forge train (pid "
                                  << (holder.empty() ? "unknown" : holder) << ", holding '" << path
                                  << "'); wait for it to finish or stop it, or choose another run.dir");
  }
  // The holder's pid, for the message above (informational: the flock is the lock).
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    FORGE_THROW("cannot write '" << path << "': " << std::strerror(err));
  }
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace forge::recipes
