// Helpers for end-to-end tests that drive the real `forge` binary: run a
// command line, capture its output and exit code, and build a tiny corpus of
// token shards so a tiny model trains in a second.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

#include "common/philox.h"
#include "data/token_shards.h"
#include "data/tokenizer.h"

namespace forge::e2e {

struct CommandResult {
  int exit_code = -1;  // the process's exit status; 128 + N when killed by signal N
  std::string output;  // stdout and stderr interleaved
};

// Runs `command` through /bin/sh with stderr folded into stdout.
inline CommandResult run_shell(const std::string& command) {
  CommandResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
  return r;
}

// The forge binary built alongside the tests.
inline std::string forge_binary() { return FORGE_BINARY; }

// `forge ARGS` with OMP_NUM_THREADS=1 (ctest runs tests in parallel).
inline CommandResult run_forge(const std::string& args) {
  return run_shell("OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 '" + forge_binary() + "' " + args);
}

// A fresh empty directory under the system temp dir, unique per test.
inline std::filesystem::path fresh_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() /
             ("forge_e2e_" + tag + "_" + info->test_suite_name() + "_" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A 2-layer GPT-2 recipe (vocabulary 64) over write_tiny_shards' data in
// `data_dir`: 12 steps of 4 x 16 tokens, a checkpoint every 4 steps, none pruned.
inline void write_tiny_checkpointing_recipe(const std::string& recipe, const std::filesystem::path& data_dir) {
  std::ofstream(recipe) << "seed: 3\nmodel:\n  family: gpt2\n  n_layer: 2\n  n_head: 2\n  n_embd: 32\n"
                           "  vocab_size: 64\n  block_size: 16\n"
                           "data:\n  train: " << (data_dir / "train_*.h5").string() << "\n"
                           "  batch_size: 4\n  seq_len: 16\n"
                           "train:\n  max_steps: 12\n  log_interval: 1\n"
                           "checkpoint:\n  interval: 4\n  keep_last: 0\n";
}

// `forge train recipe run.dir=run_dir extra` on one thread, `env` prefixed (e.g. a test hook).
inline CommandResult train_in_run_dir(const std::string& recipe, const std::filesystem::path& run_dir,
                                      const std::string& extra, const std::string& env = "") {
  return run_shell(env + " OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 '" + forge_binary() + "' train '" + recipe +
                   "' run.dir='" + run_dir.string() + "' " + extra);
}

// Writes dir/train_000000.h5 and dir/val_000000.h5 with `tokens` pseudo-random
// ids (a learnable pattern: mostly counting mod vocab, with noise) each.
// `made_with`: stamp them as made by that tokenizer (its vocabulary size and
// fingerprint), as a recipe naming it in data.tokenizer requires.
inline void write_tiny_shards(const std::filesystem::path& dir, int64_t vocab_size, int64_t tokens = 20000,
                              const data::Tokenizer* made_with = nullptr) {
  std::filesystem::create_directories(dir);
  if (made_with != nullptr) vocab_size = made_with->vocab_size();
  for (const char* split : {"train", "val"}) {
    data::TokenShard shard;
    shard.vocab_size = vocab_size;
    shard.tokenizer_fingerprint = made_with ? data::fingerprint_string(made_with->fingerprint()) : "e2e";
    shard.doc_offsets = {0};
    Generator gen(split[0] == 't' ? 11 : 12);
    uint32_t t = 0;
    for (int64_t i = 0; i < tokens; ++i) {
      const uint64_t r = static_cast<uint64_t>(gen.next_uniform() * 4294967296.0);
      t = (r % 8 == 0) ? static_cast<uint32_t>(r % vocab_size) : (t + 1) % vocab_size;
      shard.tokens.push_back(t);
    }
    data::write_shard((dir / (std::string(split) + "_000000.h5")).string(), shard);
  }
}

}  // namespace forge::e2e
