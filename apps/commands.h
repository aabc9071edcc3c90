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
// Runs `forge NAME ARGS...`; NAME may also be --help, -h or --version.
int run_command(const std::string& name, int argc, char** argv);
// "forge 0.3.0 (git v0.3.0-12-gabc1234)": the CMake project version and, when the
// source tree was a git checkout at configure time, its `git describe`.
std::string version_line();

}  // namespace forge::apps
