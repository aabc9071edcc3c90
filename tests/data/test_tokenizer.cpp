// Tests for encoding and decoding with a byte-level BPE tokenizer: round trips
// of arbitrary bytes (invalid UTF-8 included), special tokens, the word cache,
// long words (heap merge path) and decode errors.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/tokenizer.h"
#include "data/tokenizer_train.h"
#include "tests/data/test_tokenizer_util.h"

namespace forge::data {
namespace {

Tokenizer small_tokenizer() {
  static const Tokenizer trained = [] {
    BpeTrainer trainer({.vocab_size = 600, .min_frequency = 2});
    trainer.add_text(testing::tokenizer_corpus(4000));
    return trainer.train();
  }();
  return trained;  // a copy: shares the vocabulary, fresh cache
}

TEST(Tokenizer, RoundTripsRandomBytes) {
  Tokenizer tok = small_tokenizer();
  std::mt19937 rng(1);
  for (int trial = 0; trial < 300; ++trial) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    const auto ids = tok.encode(s);
    ASSERT_EQ(tok.decode(ids), s) << "trial " << trial;
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok.vocab_size());
  }
  // Every single byte alone, and all 256 bytes in a row.
  std::string all;
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    ASSERT_EQ(tok.encode(one).size(), 1u);
    EXPECT_EQ(tok.decode(tok.encode(one)), one);
    all += one;
  }
  EXPECT_EQ(tok.decode(tok.encode(all)), all);
}

TEST(Tokenizer, RoundTripsTextAndCompresses) {
  Tokenizer tok = small_tokenizer();
  const std::string text = testing::tokenizer_corpus(500, 99);
  const auto ids = tok.encode(text);
  EXPECT_EQ(tok.decode(ids), text);
  EXPECT_LT(ids.size() * 2, text.size());  // merges were learned and used
  // Cached and uncached encodings agree.
  Tokenizer fresh = small_tokenizer();
  EXPECT_EQ(fresh.encode(text), tok.encode(text));
}

TEST(Tokenizer, LongWordsMergeLikeShortOnes) {
  // Words over 96 bytes merge with a heap instead of rescans; both must give
  // GPT-2's result. Merges: (a,b) -> ab, (ab,ab) -> abab, (abab,c) -> ababc.
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.emplace_back(1, static_cast<char>(b));
  tokens.push_back("ab");     // 256
  tokens.push_back("abab");   // 257
  tokens.push_back("ababc");  // 258
  Tokenizer tok(tokens, {{'a', 'b'}, {256, 256}, {257, 'c'}}, {});
  for (int reps : {2, 3, 10, 40, 61}) {  // 4..122 bytes + "c": both paths
    std::string word;
    for (int i = 0; i < reps; ++i) word += "ab";
    word += "c";
    // Pairs of "ab" merge left to right; the last abab takes the c if reps is even.
    std::vector<int32_t> want(reps / 2 - (reps % 2 == 0 ? 1 : 0), 257);
    if (reps % 2 == 0) {
      want.push_back(258);
    } else {
      want.push_back(256);
      want.push_back('c');
    }
    EXPECT_EQ(tok.encode(word), want) << word.size() << " bytes";
    EXPECT_EQ(tok.decode(want), word);
  }
  Tokenizer trained = small_tokenizer();
  std::string spaces(500, ' '), letters;
  for (int i = 0; i < 200; ++i) letters += "the";
  EXPECT_EQ(trained.decode(trained.encode(spaces)), spaces);
  EXPECT_EQ(trained.decode(trained.encode(letters)), letters);
  EXPECT_LT(trained.encode(letters).size(), letters.size() / 2);
}

TEST(Tokenizer, SpecialTokenIsRecognisedWhenAllowed) {
  Tokenizer tok = small_tokenizer();
  const int32_t eot = tok.eot_id();
  ASSERT_EQ(eot, tok.vocab_size() - 1);
  ASSERT_EQ(tok.token(eot), "<|endoftext|>");

  const auto ids = tok.encode("hello<|endoftext|> world<|endoftext|>");
  EXPECT_EQ(ids.back(), eot);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), eot), 2);
  EXPECT_EQ(tok.decode(ids), "hello<|endoftext|> world<|endoftext|>");
  EXPECT_EQ(tok.encode("<|endoftext|>"), (std::vector<int32_t>{eot}));

  // Not allowed: the same text is ordinary bytes and never yields the id.
  const auto plain = tok.encode("hello<|endoftext|>", /*allow_special=*/false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), eot), 0);
  EXPECT_EQ(tok.decode(plain), "hello<|endoftext|>");
  // A partial special token is plain text.
  const auto partial = tok.encode("<|endoftext|");
  EXPECT_EQ(std::count(partial.begin(), partial.end(), eot), 0);
}

TEST(Tokenizer, DecodeRejectsOutOfRangeIds) {
  Tokenizer tok = small_tokenizer();
  const std::vector<int32_t> bad = {0, tok.vocab_size()};
  EXPECT_THROW(tok.decode(bad), Error);
  try {
    tok.decode(std::vector<int32_t>{-3});
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("-3"), std::string::npos) << e.what();
  }
}

TEST(Tokenizer, ConstructorChecksVocabulary) {
  std::vector<std::string> tokens;
  for (int b = 0; b < 255; ++b) tokens.emplace_back(1, static_cast<char>(b));  // byte 0xff missing
  EXPECT_THROW(Tokenizer(tokens, {}, {}), Error);
  tokens.emplace_back(1, static_cast<char>(255));
  EXPECT_THROW(Tokenizer(tokens, {{'a', 'b'}}, {}), Error);  // "ab" is not a token
  tokens.push_back("ab");
  Tokenizer tok(tokens, {{'a', 'b'}}, {});
  EXPECT_EQ(tok.encode("abab"), (std::vector<int32_t>{256, 256}));
  EXPECT_EQ(tok.eot_id(), -1);
  EXPECT_NE(tok.fingerprint(), Tokenizer(tokens, {}, {}).fingerprint());
}

TEST(Tokenizer, MergesLowestRankFirst) {
  // "abc" with merges (b,c) rank 0 then (a,b) rank 1: bc wins, then no (a,bc).
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.emplace_back(1, static_cast<char>(b));
  tokens.push_back("bc");  // 256
  tokens.push_back("ab");  // 257
  Tokenizer tok(tokens, {{'b', 'c'}, {'a', 'b'}}, {});
  EXPECT_EQ(tok.encode("abc"), (std::vector<int32_t>{'a', 256}));
  EXPECT_EQ(tok.encode("abab"), (std::vector<int32_t>{257, 257}));
}

}  // namespace
}  // namespace forge::data
