// GPT-2 compatibility: loading GPT-2's real vocab.json + merges.txt must give
// exactly GPT-2's token ids. The files come from PyPI via
// scripts/fetch_gpt2_tokenizer.sh (run by scripts/setup.sh) into
// $FORGE_GPT2_DIR or ~/.cache/forge/gpt2; the expected ids in
// tests/data/tokenizer/gpt2_ids.json were made by Hugging Face `tokenizers`
// (scripts/make_tokenizer_golden.py). Without the files the tests skip, loudly.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "data/tokenizer_files.h"
#include "tests/data/test_tokenizer_util.h"

namespace forge::data {
namespace {

namespace fs = std::filesystem;

fs::path gpt2_dir() {
  if (const char* d = std::getenv("FORGE_GPT2_DIR")) return d;
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/root") / ".cache/forge/gpt2";
}

#define FORGE_SKIP_WITHOUT_GPT2(dir)                                                                      \
  if (!fs::exists((dir) / "vocab.json") || !fs::exists((dir) / "merges.txt")) {                          \
    std::fprintf(stderr, "\n*** SKIPPING GPT-2 tokenizer compatibility test: no vocab.json + merges.txt " \
                         "in %s. Run scripts/fetch_gpt2_tokenizer.sh (or set FORGE_GPT2_DIR). ***\n\n",   \
                 (dir).c_str());                                                                          \
    GTEST_SKIP() << "GPT-2 tokenizer files not found in " << (dir).string()                               \
                 << "; run scripts/fetch_gpt2_tokenizer.sh";                                              \
  }

TEST(TokenizerGpt2, MatchesGpt2TokenIds) {
  const fs::path dir = gpt2_dir();
  FORGE_SKIP_WITHOUT_GPT2(dir);
  Tokenizer tok = load_tokenizer(dir);
  ASSERT_EQ(tok.vocab_size(), 50257);
  ASSERT_EQ(tok.merges().size(), 50000u);
  ASSERT_EQ(tok.eot_id(), 50256);
  EXPECT_EQ(tok.encode("Hello world"), (std::vector<int32_t>{15496, 995}));

  const auto cases = nlohmann::json::parse(read_text_file(fs::path(FORGE_TEST_DATA_DIR) / "tokenizer/gpt2_ids.json"));
  ASSERT_GT(cases.size(), 20u);
  for (const auto& c : cases) {
    const std::string text = c["text"];
    const auto want = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok.encode(text), want) << "text: " << c["text"].dump();
    EXPECT_EQ(tok.decode(want), text);
  }
}

TEST(TokenizerGpt2, ConvertsToTokenizerJsonWithSameIds) {
  const fs::path dir = gpt2_dir();
  FORGE_SKIP_WITHOUT_GPT2(dir);
  Tokenizer tok = load_tokenizer(dir);
  testing::TempDir out("forge_tok_gpt2");
  save_tokenizer(tok, out.path());
  Tokenizer hf = load_tokenizer(out.path() / "tokenizer.json");
  EXPECT_EQ(hf.fingerprint(), tok.fingerprint());
  // The re-written vocab.json + merges.txt load to the same tokenizer.
  Tokenizer again = load_tokenizer(out.path());
  EXPECT_EQ(again.fingerprint(), tok.fingerprint());
  const std::string text = "GPT-2's tokenizer, re-saved by forge: ids must not change. 12345 <|endoftext|>";
  EXPECT_EQ(hf.encode(text), tok.encode(text));
}

}  // namespace
}  // namespace forge::data
