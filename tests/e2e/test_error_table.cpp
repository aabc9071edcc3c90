// docs/errors.md, row by row, through the real binary: every bad input of
// error_table_cases.cpp must make `forge` exit with status 1 and print the
// row's message, without a sanitizer report or an internal error, and leave
// the fixture folder exactly as it was (no file changed, none added, none
// removed: no partial output). The table in docs/errors.md is generated from
// the same rows; FORGE_UPDATE_ERRORS_MD=1 rewrites it.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "e2e_util.h"
#include "tests/e2e/error_table_cases.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every file and folder under `dir` with its contents ("" for a folder).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out[fs::relative(e.path(), dir).string()] = e.is_regular_file() ? read_all(e.path()) : std::string();
  return out;
}

CommandResult forge_in(const fs::path& dir, const std::string& args) {
  return run_shell("cd '" + dir.string() + "' && OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 '" + forge_binary() + "' " + args);
}

// The fixture: a tokenizer (tok/), shards of it (shards/), good.yaml and a
// 2-step run of it (run/, with run/checkpoints/step_2.h5 and `latest`), its
// Hugging Face export (hf/), new.yaml (good.yaml with a run.dir that does not
// exist) and the text they were made from (text.txt).
fs::path make_fixture() {
  const fs::path d = fresh_dir("error_table");
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += "Document " + std::to_string(i) + ": the quick brown fox jumps over the lazy dog, " +
            std::to_string(i * 7) + " times.\n%\n";
  std::ofstream(d / "text.txt") << text;
  const std::string recipe =
      "seed: 3\nmodel:\n  family: gpt2\n  n_layer: 2\n  n_head: 2\n  n_embd: 32\n  vocab_size: 320\n  block_size: 32\n"
      "data:\n  train: shards/train_*.h5\n  val: shards/val_*.h5\n  tokenizer: tok\n  batch_size: 2\n  seq_len: 32\n"
      "train:\n  max_steps: 2\n  log_interval: 1\n  eval_interval: 0\ncheckpoint:\n  interval: 2\nrun:\n  dir: ";
  std::ofstream(d / "good.yaml") << recipe << "run\n";
  std::ofstream(d / "new.yaml") << recipe << "newrun\n";
  for (const std::string& cmd : {std::string("tokenizer train --vocab-size 300 --out tok text.txt"),
                                 std::string("prepare --tokenizer tok --out shards --val-fraction 0.1 --separator % text.txt"),
                                 std::string("train good.yaml"), std::string("convert run/checkpoints/step_2.h5 hf")}) {
    const CommandResult r = forge_in(d, cmd);
    if (r.exit_code != 0) ADD_FAILURE() << "fixture: forge " << cmd << " failed:\n" << r.output;
  }
  return d;
}

TEST(ErrorTable, EveryRowExitsOneNamingTheFaultAndLeavesNothing) {
  const fs::path dir = make_fixture();
  ASSERT_FALSE(::testing::Test::HasFailure());
  for (const ErrorCase& c : error_cases()) {
    SCOPED_TRACE("row: forge " + c.command + "  (" + c.input + ")");
    if (c.setup) c.setup(dir);
    const auto before = snapshot(dir);
    const CommandResult r = forge_in(dir, c.command);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << "expected '" << c.message << "' in:\n" << r.output;
    for (const char* bad : {"internal error", "AddressSanitizer", "runtime error:", "LeakSanitizer"})
      EXPECT_EQ(r.output.find(bad), std::string::npos) << r.output;
    const auto after = snapshot(dir);
    for (const auto& [name, content] : after) {
      auto it = before.find(name);
      if (it == before.end()) ADD_FAILURE() << "left behind: " << name;
      else if (it->second != content) ADD_FAILURE() << "changed: " << name;
    }
    for (const auto& [name, content] : before)
      if (!after.count(name)) ADD_FAILURE() << "removed: " << name;
  }
}

// The markdown table of docs/errors.md for the rows.
std::string markdown_table() {
  auto cell = [](std::string s) {
    std::string out;
    for (char ch : s) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
    return out;
  };
  std::ostringstream os;
  os << "| # | Area | Bad input | Command | Message (excerpt) |\n|---|---|---|---|---|\n";
  int n = 0;
  for (const ErrorCase& c : error_cases())
    os << "| " << ++n << " | " << c.area << " | " << cell(c.input) << " | `` forge " << cell(c.command) << " `` | `` "
       << cell(c.message) << " `` |\n";
  return os.str();
}

TEST(ErrorTable, DocumentMatchesTable) {
  EXPECT_GE(error_cases().size(), 50u);
  const fs::path doc = fs::path(FORGE_SOURCE_DIR) / "docs" / "errors.md";
  const std::string begin = "<!-- table: generated from tests/e2e/error_table_cases.cpp -->\n", end = "<!-- end of table -->";
  std::string text = read_all(doc);
  const size_t b = text.find(begin), e = text.find(end);
  ASSERT_TRUE(b != std::string::npos && e != std::string::npos && b < e) << doc << " lacks the table markers";
  const std::string want = markdown_table();
  if (std::getenv("FORGE_UPDATE_ERRORS_MD")) {
    text.replace(b + begin.size(), e - b - begin.size(), want);
    std::ofstream(doc, std::ios::binary) << text;
  }
  EXPECT_EQ(text.substr(b + begin.size(), e - b - begin.size()), want)
      << "docs/errors.md is out of date with tests/e2e/error_table_cases.cpp; regenerate it with\n"
         "FORGE_UPDATE_ERRORS_MD=1 build/tests/forge_tests --gtest_filter=ErrorTable.DocumentMatchesTable";
}

}  // namespace
}  // namespace forge::e2e
