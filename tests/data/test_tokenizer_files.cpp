// Tests for tokenizer files: GPT-2 vocab.json + merges.txt and Hugging Face
// tokenizer.json save/load round trips (identical ids), the file conventions,
// and errors for missing or corrupt files that name the file.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "data/tokenizer_files.h"
#include "data/tokenizer_train.h"
#include "tests/data/test_tokenizer_util.h"

namespace forge::data {
namespace {

namespace fs = std::filesystem;

Tokenizer trained() {
  static const Tokenizer tok = [] {
    BpeTrainer trainer({.vocab_size = 520});
    trainer.add_text(testing::tokenizer_corpus(3000, 3));
    return trainer.train();
  }();
  return tok;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::string read(const fs::path& p) { return read_text_file(p); }

// Runs `f`, expects a forge::Error whose message contains `needle`.
template <typename F>
void expect_error_mentioning(F f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected forge::Error mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(TokenizerFiles, SaveLoadRoundTripBothFormats) {
  testing::TempDir dir("forge_tok_files");
  Tokenizer tok = trained();
  save_tokenizer(tok, dir.path());
  ASSERT_TRUE(fs::exists(dir.path() / "vocab.json"));
  ASSERT_TRUE(fs::exists(dir.path() / "merges.txt"));
  ASSERT_TRUE(fs::exists(dir.path() / "tokenizer.json"));

  Tokenizer from_gpt2 = load_tokenizer(dir.path());
  Tokenizer from_hf = load_tokenizer(dir.path() / "tokenizer.json");
  EXPECT_EQ(from_gpt2.fingerprint(), tok.fingerprint());
  EXPECT_EQ(from_hf.fingerprint(), tok.fingerprint());
  EXPECT_EQ(from_hf.eot_id(), tok.eot_id());

  std::string text = testing::tokenizer_corpus(400, 11) + "<|endoftext|>\xff\xfe raw bytes \xc3";
  const auto ids = tok.encode(text);
  EXPECT_EQ(from_gpt2.encode(text), ids);
  EXPECT_EQ(from_hf.encode(text), ids);
  EXPECT_EQ(from_hf.decode(ids), text);

  // Saving what was loaded writes the same bytes.
  testing::TempDir again("forge_tok_files2");
  save_tokenizer(from_hf, again.path());
  for (const char* f : {"vocab.json", "merges.txt", "tokenizer.json"}) {
    EXPECT_EQ(read(dir.path() / f), read(again.path() / f)) << f;
  }
}

TEST(TokenizerFiles, FollowsGpt2FileConventions) {
  testing::TempDir dir("forge_tok_conv");
  Tokenizer tok = trained();
  save_tokenizer(tok, dir.path());
  const std::string merges = read(dir.path() / "merges.txt");
  EXPECT_EQ(merges.rfind("#version: 0.2\n", 0), 0u);
  // One line per merge after the header, tokens spelled with GPT-2's mapping.
  EXPECT_EQ(static_cast<size_t>(std::count(merges.begin(), merges.end(), '\n')), tok.merges().size() + 1);
  const std::string vocab = read(dir.path() / "vocab.json");
  EXPECT_EQ(vocab.rfind("{\"!\":0,\"\\\"\":1,", 0), 0u) << vocab.substr(0, 40);
  EXPECT_NE(vocab.find("\"\xc4\xa0\":220"), std::string::npos);  // "Ġ" is the space byte
  EXPECT_NE(vocab.find("\"<|endoftext|>\":" + std::to_string(tok.eot_id())), std::string::npos);
  const std::string hf = read(dir.path() / "tokenizer.json");
  for (const char* s : {"\"type\": \"BPE\"", "\"type\": \"ByteLevel\"", "\"added_tokens\"", "\"<|endoftext|>\""}) {
    EXPECT_NE(hf.find(s), std::string::npos) << s;
  }
}

TEST(TokenizerFiles, ReadsMergesAsPairsAndCrLf) {
  testing::TempDir dir("forge_tok_variants");
  Tokenizer tok = trained();
  save_tokenizer(tok, dir.path());
  // Newer Hugging Face files store merges as ["left", "right"] pairs.
  nlohmann::json j = nlohmann::json::parse(read(dir.path() / "tokenizer.json"));
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& m : j["model"]["merges"]) {
    const std::string s = m.get<std::string>();
    const size_t sp = s.find(' ');
    pairs.push_back({s.substr(0, sp), s.substr(sp + 1)});
  }
  j["model"]["merges"] = pairs;
  write(dir.path() / "pairs.json", j.dump());
  EXPECT_EQ(load_tokenizer(dir.path() / "pairs.json").fingerprint(), tok.fingerprint());

  // merges.txt with Windows line endings.
  std::string crlf;
  for (char c : read(dir.path() / "merges.txt")) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  write(dir.path() / "merges.txt", crlf);
  EXPECT_EQ(load_tokenizer(dir.path()).fingerprint(), tok.fingerprint());
}

TEST(TokenizerFiles, MissingFilesAreNamed) {
  testing::TempDir dir("forge_tok_missing");
  expect_error_mentioning([&] { load_tokenizer(dir.path() / "nope"); }, "nope");
  expect_error_mentioning([&] { load_tokenizer(dir.path()); }, "vocab.json");
  save_tokenizer(trained(), dir.path());
  fs::remove(dir.path() / "merges.txt");
  expect_error_mentioning([&] { load_tokenizer(dir.path()); }, "merges.txt");
}

TEST(TokenizerFiles, CorruptFilesAreNamed) {
  testing::TempDir dir("forge_tok_corrupt");
  save_tokenizer(trained(), dir.path());
  const fs::path vocab = dir.path() / "vocab.json", merges = dir.path() / "merges.txt",
                 hf = dir.path() / "tokenizer.json";
  const std::string good_vocab = read(vocab), good_merges = read(merges), good_hf = read(hf);

  write(vocab, good_vocab.substr(0, good_vocab.size() / 2));  // truncated JSON
  expect_error_mentioning([&] { load_tokenizer(dir.path()); }, vocab.string());
  write(vocab, "[1, 2, 3]");
  expect_error_mentioning([&] { load_tokenizer(dir.path()); }, vocab.string());
  write(vocab, "{\"a\": 0, \"b\": 2}");  // ids with a gap, and no byte tokens
  expect_error_mentioning([&] { load_tokenizer(dir.path()); }, vocab.string());
  write(vocab, good_vocab);

  write(merges, good_merges + "notamerge\n");
  expect_error_mentioning([&] { load_tokenizer(dir.path()); }, merges.string() + "' line");
  write(merges, good_merges + "\xc4\xa0zzzq qqqz\n");  // tokens not in the vocabulary
  expect_error_mentioning([&] { load_tokenizer(dir.path()); }, merges.string());
  write(merges, good_merges);
  EXPECT_NO_THROW(load_tokenizer(dir.path()));

  write(hf, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
  expect_error_mentioning([&] { load_tokenizer(hf); }, hf.string());
  write(hf, good_hf.substr(0, 100));
  expect_error_mentioning([&] { load_tokenizer(hf); }, hf.string());
  write(hf, "{\"pre_tokenizer\": {\"type\": \"Whitespace\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}");
  expect_error_mentioning([&] { load_tokenizer(hf); }, "Whitespace");
}

TEST(TokenizerFiles, TrainFileErrorsNameTheFile) {
  BpeTrainer trainer({.vocab_size = 300});
  expect_error_mentioning([&] { trainer.add_file("/nonexistent/forge/corpus.txt"); }, "/nonexistent/forge/corpus.txt");
}

}  // namespace
}  // namespace forge::data
