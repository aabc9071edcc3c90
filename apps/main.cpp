// `forge` entry point: dispatches to subcommands; every user error exits 1 with its message.
// Under mpirun an error on one rank aborts the whole job (distributed/world.h).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "apps/commands.h"
#include "common/error.h"
#include "common/runtime.h"
#include "distributed/world.h"

int main(int argc, char** argv) {
  forge::runtime::init(argc, argv);
  // Past a file-size limit (ulimit -f) a write then fails with EFBIG, which every
  // writer reports as an error naming its file, instead of SIGXFSZ killing forge
  // without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  const std::string cmd = argc > 1 ? argv[1] : "help";
  try {
    const int status = forge::apps::run_command(cmd, argc - 2, argv + 2);
    forge::distributed::finalize_world();
    return status;
  } catch (const forge::Error& e) {
    return forge::distributed::report_error("forge " + cmd, e, false);
  } catch (const std::exception& e) {
    return forge::distributed::report_error("forge " + cmd, e, true);
  }
}
