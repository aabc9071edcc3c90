// `forge` entry point: dispatches to subcommands; every user error exits 1 with its message.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "apps/commands.h"
#include "common/error.h"
#include "common/runtime.h"

int main(int argc, char** argv) {
  forge::runtime::init(argc, argv);
  const std::string cmd = argc > 1 ? argv[1] : "help";
  try {
    return forge::apps::run_command(cmd, argc - 2, argv + 2);
  } catch (const forge::Error& e) {
    std::fprintf(stderr, "forge %s: error: %s\n", cmd.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forge %s: internal error: %s\n", cmd.c_str(), e.what());
    return 1;
  }
}
