// Helpers shared by the libFuzzer targets of tests/fuzz (docs/testing.md).
//
// Every target feeds its input to one parser and accepts exactly two outcomes:
// the parser returns, or it throws forge::Error. Any other exception escapes
// LLVMFuzzerTestOneInput and aborts the run, as does anything ASan or UBSan
// reports, so libFuzzer records the input as a crash.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace forge::fuzz {

// A per-process scratch folder under $TMPDIR (or /tmp), created on first use,
// for parsers that read files.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path d = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
                              ("forge_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Writes `bytes` to scratch_dir()/name (replacing it) and returns the path.
inline std::string write_scratch(const std::string& name, std::string_view bytes) {
  const std::string path = (scratch_dir() / name).string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) std::abort();
  std::fclose(f);
  return path;
}

// The input cut at each NUL byte: fuzz inputs that carry several texts (a
// recipe and its overrides, vocab.json and merges.txt) keep them NUL-separated.
inline std::vector<std::string> split_nul(const uint8_t* data, size_t size) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) parts.emplace_back();
    else parts.back().push_back(static_cast<char>(data[i]));
  }
  return parts;
}

// Runs `fn`; forge::Error is the parser's accepted way to reject an input.
template <class Fn>
void expect_ok_or_error(Fn&& fn) {
  try {
    fn();
  } catch (const forge::Error& e) {
    if (std::string_view(e.what()).empty()) std::abort();  // an error must say what was wrong
  }
}

}  // namespace forge::fuzz
