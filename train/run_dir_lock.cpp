// The run directory's lock (see run_dir_lock.h).
#include "train/run_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace forge::recipes {
namespace {

// The pid holding a flock on the file `fd` refers to, from /proc/locks
// ("1: FLOCK  ADVISORY  WRITE <pid> <major>:<minor>:<inode> 0 EOF"); "" when not found.
std::string lock_holder(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return "";
  std::ifstream in("/proc/locks");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, kind, mode, access, pid, device;
    if (!(fields >> id >> kind) || kind == "->" || kind != "FLOCK") continue;
    if (!(fields >> mode >> access >> pid >> device)) continue;
    unsigned major_id = 0, minor_id = 0;
    unsigned long long inode = 0;
    if (std::sscanf(device.c_str(), "%x:%x:%llu", &major_id, &minor_id, &inode) != 3) continue;
    if (inode == st.st_ino && major_id == major(st.st_dev) && minor_id == minor(st.st_dev)) return pid;
  }
  return "";
}

}  // namespace

RunDirLock::RunDirLock(const std::string& run_dir) {
  fd_ = ::open(run_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  FORGE_CHECK(fd_ >= 0, "cannot open run directory '" << run_dir << "': " << std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  const int err = errno;
  const std::string holder = err == EWOULDBLOCK ? lock_holder(fd_) : "";
  ::close(fd_);
  fd_ = -1;
  FORGE_CHECK(err == EWOULDBLOCK, "cannot lock run directory '" << run_dir << "': " << std::strerror(err));
  FORGE_THROW("run directory '" << run_dir << "' is in use by another forge train (pid "
                                << (holder.empty() ? "unknown" : holder)
                                << "); wait for it to finish or stop it, or choose another run.dir");
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace forge::recipes
