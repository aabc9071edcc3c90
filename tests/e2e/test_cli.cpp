// The command-line conventions every `forge` command shares (apps/flags.h):
// --help, COMMAND --help and --version; unknown flags (with "did you mean"),
// missing values and bad numbers are one-line errors naming the flag, exit 1.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace forge::e2e {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The version in the top-level CMakeLists.txt's project() call.
std::string project_version() {
  std::ifstream in(std::string(FORGE_SOURCE_DIR) + "/CMakeLists.txt");
  std::stringstream text;
  text << in.rdbuf();
  std::smatch m;
  const std::string s = text.str();
  EXPECT_TRUE(std::regex_search(s, m, std::regex(R"(project\(forge VERSION ([0-9.]+))")));
  return m[1];
}

const std::vector<std::string> kCommands = {"convert", "eval",  "inspect",   "plot",     "prepare",
                                            "sample",  "sft-eval", "tokenize", "tokenizer", "train"};

TEST(Cli, TopLevelHelpListsEveryCommand) {
  for (const std::string args : {"--help", "-h", "help", ""}) {
    const CommandResult r = run_forge(args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "usage: forge COMMAND")) << args << "\n" << r.output;
    for (const std::string& c : kCommands) EXPECT_TRUE(contains(r.output, "  " + c + " ")) << c << "\n" << r.output;
  }
}

TEST(Cli, VersionIsTheProjectVersion) {
  const CommandResult r = run_forge("--version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::regex_match(r.output, std::regex("forge " + project_version() + R"(( \(git [^)]+\))?\n)")))
      << r.output;
}

// `forge CMD --help`, `forge CMD -h` and `forge help CMD` print the same usage,
// even after other arguments, and exit 0 without doing anything.
TEST(Cli, EveryCommandAnswersHelp) {
  for (const std::string& c : kCommands) {
    const CommandResult reference = run_forge("help " + c);
    ASSERT_EQ(reference.exit_code, 0) << c << "\n" << reference.output;
    EXPECT_TRUE(contains(reference.output, "usage: forge " + c)) << c << "\n" << reference.output;
    for (const std::string args : {c + " --help", c + " -h", c + " some_arg --help"}) {
      const CommandResult r = run_forge(args);
      EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
      EXPECT_EQ(r.output, reference.output) << args;
    }
  }
  const CommandResult sub = run_forge("tokenizer train --help");
  EXPECT_EQ(sub.exit_code, 0) << sub.output;
  EXPECT_TRUE(contains(sub.output, "usage: forge tokenizer train")) << sub.output;
}

TEST(Cli, FlagMistakesNameTheFlag) {
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"eval ck.h5 --data d --sq-len 4", "forge eval: error: unknown flag '--sq-len'; did you mean '--seq-len'?"},
      {"sample ck.h5 --promt hi", "unknown flag '--promt'; did you mean '--prompt'?"},
      {"sample ck.h5 --max-new 3", "unknown flag '--max-new'; did you mean '--max-new-tokens'?"},
      {"prepare --tokenizer t --out o --sed 3 in.txt", "unknown flag '--sed'; did you mean '--seed'?"},
      {"plot run --out x.png --log-x", "unknown flag '--log-x'; did you mean '--log-y'?"},
      {"tokenizer train --vocabsize 300", "unknown flag '--vocabsize'; did you mean '--vocab-size'?"},
      {"sft-eval ck.h5 --frobnicate", "unknown flag '--frobnicate' (`forge sft-eval --help` lists the flags)"},
      {"train recipe.yaml --resume", "forge train: error: unknown flag '--resume'"},
      {"inspect -x ck.h5", "unknown flag '-x'"},
      {"convert a --b c", "unknown flag '--b'"},
      {"tokenize --tokenizer", "--tokenizer needs a value"},
      {"eval ck.h5 --data", "--data needs a value"},
      {"eval ck.h5 --data d --seq-len 12x", "--seq-len expects an integer, got '12x'"},
      {"eval ck.h5 --data d --seq-len=", "--seq-len expects an integer, got ''"},
      {"eval ck.h5 --data d --batch-size 0", "--batch-size must be >= 1, got 0"},
      {"sample ck.h5 --prompt x --top-p 1e999", "--top-p expects a finite number, got '1e999'"},
      {"prepare --tokenizer t --out o --shard-tokens 1.5 in.txt", "--shard-tokens expects an integer, got '1.5'"},
      {"prepare --tokenizer t --out o --val-fraction x in.txt", "--val-fraction expects a finite number, got 'x'"},
      {"sft-eval ck.h5 --data d --limit -1", "--limit must be >= 0, got -1"},
      {"plot run --out x.png --log-y=1", "--log-y takes no value, got '--log-y=1'"},
      {"nosuchcommand", "unknown command 'nosuchcommand'"},
  };
  for (const Case& c : cases) {
    const CommandResult r = run_forge(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, c.message)) << c.args << "\n" << r.output;
    EXPECT_FALSE(contains(r.output, "internal error")) << r.output;
  }
}

// --NAME=VALUE is the same as --NAME VALUE, and `--` ends the flags.
TEST(Cli, EqualsFormAndDoubleDash) {
  const auto dir = fresh_dir("cli");
  std::ofstream(dir / "text.txt") << "aaaa bbbb aaaa bbbb aaaa";
  const std::string tok = (dir / "tok").string();
  const CommandResult t = run_forge("tokenizer train --vocab-size=260 --out='" + tok + "' -- '" +
                                    (dir / "text.txt").string() + "'");
  ASSERT_EQ(t.exit_code, 0) << t.output;
  const CommandResult ids = run_forge("tokenize --tokenizer=" + tok + " '" + (dir / "text.txt").string() + "'");
  EXPECT_EQ(ids.exit_code, 0) << ids.output;
  EXPECT_TRUE(std::regex_match(ids.output, std::regex(R"([0-9]+( [0-9]+)*\n)"))) << ids.output;
}

}  // namespace
}  // namespace forge::e2e
