// The bad-input table of docs/errors.md, as data: every row is a forge
// command line run in the fixture folder of test_error_table.cpp (a small
// tokenizer, shards, a trained run with its checkpoint, a Hugging Face export,
// `good.yaml` whose run.dir already holds that run and `new.yaml` whose run.dir
// does not exist yet), the files its `setup` makes there first, and an excerpt
// of the message the command must print. docs/errors.md's table is generated
// from this list and checked against it (ErrorTable.DocumentMatchesTable).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace forge::e2e {

struct ErrorCase {
  std::string area;     // recipe, override, CLI flag, data, JSONL, tokenizer, checkpoint, safetensors, parallel
  std::string input;    // what is wrong, in words
  std::string command;  // forge's arguments (shell words), run in the fixture folder
  std::string message;  // must occur in the output (stdout + stderr)
  // Writes the bad input into the fixture folder (nullptr: the command alone is bad).
  std::function<void(const std::filesystem::path& dir)> setup;
};

// Every row, in the order of the document.
const std::vector<ErrorCase>& error_cases();

}  // namespace forge::e2e
