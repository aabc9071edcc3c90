// Subcommand registry, `forge help`, `forge --help`, `forge COMMAND --help` and
// `forge --version`.
#include "apps/commands.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

#include "apps/flags.h"
#include "apps/version.h"
#include "common/error.h"

namespace forge::apps {
namespace {
std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> r;
  return r;
}

int help(int argc, char** argv) {
  const std::vector<std::string> names = FlagParser("forge help").parse(argc, argv);
  FORGE_CHECK(names.size() <= 1, "usage: forge help [COMMAND]");
  if (!names.empty()) {
    auto it = registry().find(names[0]);
    FORGE_CHECK(it != registry().end(), "no command named '" << names[0] << "'; run `forge help` for the list");
    std::printf("%s\n", it->second.usage.c_str());
    return 0;
  }
  std::printf("forge: train and fine-tune language models.\n\nusage: forge COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& [name, c] : registry()) std::printf("  %-10s %s\n", name.c_str(), c.summary.c_str());
  std::printf("\n`forge help COMMAND` or `forge COMMAND --help` documents one command;\n"
              "`forge --version` prints the version.\n");
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

std::string version_line() {
  std::string line = std::string("forge ") + kVersion;
  if (kGitDescribe[0] != '\0') line += std::string(" (git ") + kGitDescribe + ")";
  return line;
}

int run_command(const std::string& name, int argc, char** argv) {
  if (is_help_flag(name)) return help(0, argv);
  if (name == "--version") {
    std::printf("%s\n", version_line().c_str());
    return 0;
  }
  auto it = registry().find(name);
  FORGE_CHECK(it != registry().end(), "unknown command '" << name << "'; run `forge help` for the list");
  try {
    return it->second.run(argc, argv);
  } catch (const HelpRequested&) {
    std::printf("%s\n", it->second.usage.c_str());
    return 0;
  }
}

}  // namespace forge::apps
