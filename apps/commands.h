// The subcommand registry: each `forge CMD` maps to one function (no if/else chains).
#pragma once

#include <functional>
#include <string>

namespace forge::apps {

struct Command {
  std::string summary;  // one line for `forge help`
  std::string usage;    // full text for `forge help CMD`
  std::function<int(int argc, char** argv)> run;
};

// Registers a subcommand at static-initialisation time; duplicate names abort.
bool register_command(const std::string& name, Command command);
int run_command(const std::string& name, int argc, char** argv);

}  // namespace forge::apps
