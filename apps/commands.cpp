// Subcommand registry and `forge help`.
#include "apps/commands.h"

#include <cstdio>
#include <cstdlib>
#include <map>

#include "common/error.h"

namespace forge::apps {
namespace {
std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> r;
  return r;
}

int help(int argc, char** argv) {
  if (argc >= 1) {
    auto it = registry().find(argv[0]);
    FORGE_CHECK(it != registry().end(), "no command named '" << argv[0] << "'; run `forge help` for the list");
    std::printf("%s\n", it->second.usage.c_str());
    return 0;
  }
  std::printf("forge: train and fine-tune language models.\n\nusage: forge COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& [name, c] : registry()) std::printf("  %-10s %s\n", name.c_str(), c.summary.c_str());
  std::printf("\n`forge help COMMAND` documents one command.\n");
  return 0;
}

const bool help_registered = register_command(
    "help", {"documents the commands", "usage: forge help [COMMAND]", help});
}  // namespace

bool register_command(const std::string& name, Command command) {
  if (!registry().emplace(name, std::move(command)).second) {
    std::fprintf(stderr, "forge: command '%s' registered twice\n", name.c_str());
    std::abort();
  }
  return true;
}

int run_command(const std::string& name, int argc, char** argv) {
  auto it = registry().find(name);
  FORGE_CHECK(it != registry().end(), "unknown command '" << name << "'; run `forge help` for the list");
  return it->second.run(argc, argv);
}

}  // namespace forge::apps
