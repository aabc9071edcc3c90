// Tests for BPE training: vocabulary layout, expected merges on a toy corpus,
// determinism, the vocab-size target and special tokens in training text.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "data/tokenizer_bytes.h"
#include "data/tokenizer_train.h"
#include "tests/data/test_tokenizer_util.h"

namespace forge::data {
namespace {

Tokenizer train_on(const std::string& text, int32_t vocab_size, int64_t min_frequency = 2) {
  BpeTrainer trainer({.vocab_size = vocab_size, .min_frequency = min_frequency});
  trainer.add_text(text);
  return trainer.train();
}

TEST(TokenizerTrain, BaseVocabularyFollowsGpt2ByteOrder) {
  const Tokenizer tok = train_on("x", 257);
  ASSERT_EQ(tok.vocab_size(), 257);
  EXPECT_EQ(tok.token(0), "!");
  EXPECT_EQ(tok.token(220), " ");   // GPT-2's 'Ġ'
  EXPECT_EQ(tok.token(198), "\n");  // GPT-2's 'Ċ'
  EXPECT_EQ(tok.eot_id(), 256);
  EXPECT_TRUE(tok.merges().empty());
  for (int i = 0; i < 256; ++i) EXPECT_EQ(tok.token(i), std::string(1, static_cast<char>(base_vocab_byte_order()[i])));
}

TEST(TokenizerTrain, LearnsMostFrequentPairsFirst) {
  // Words: "low" x5, "lower" x2, "newest" x6, "widest" x3 (classic example).
  std::string text;
  for (int i = 0; i < 5; ++i) text += "low ";
  for (int i = 0; i < 2; ++i) text += "lower ";
  for (int i = 0; i < 6; ++i) text += "newest ";
  for (int i = 0; i < 3; ++i) text += "widest ";
  const Tokenizer tok = train_on(text, 262);
  ASSERT_EQ(tok.vocab_size(), 262);
  // Pair counts: es 9, st 9, we 8, lo 7, ow 7, ... Ties go to the smaller
  // (left id, right id); ids of ASCII letters are byte - 33 in GPT-2's order.
  std::vector<std::string> learned;
  for (int id = 256; id < 261; ++id) learned.push_back(tok.token(id));
  // es/st tie -> es; then est (9); "we" lost its pairs to est, so lo/ow (7)
  // -> lo, then low (7); then the 6s: (e,w) has the smallest ids.
  EXPECT_EQ(learned, (std::vector<std::string>{"es", "est", "lo", "low", "ew"}));
  EXPECT_EQ(tok.token(261), "<|endoftext|>");
  Tokenizer copy = tok;
  EXPECT_EQ(copy.encode(" newest"), (std::vector<int32_t>{*tok.token_id(" "), *tok.token_id("n"),
                                                          *tok.token_id("ew"), *tok.token_id("est")}));
}

TEST(TokenizerTrain, IsDeterministic) {
  const std::string text = testing::tokenizer_corpus(3000);
  const Tokenizer a = train_on(text, 400);
  const Tokenizer b = train_on(text, 400);
  EXPECT_EQ(a.vocab_size(), 400);
  EXPECT_EQ(a.merges(), b.merges());
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
  // Adding the same text in pieces (at word boundaries) trains the same merges.
  BpeTrainer pieces({.vocab_size = 400});
  const size_t cut = text.find(' ', text.size() / 2);
  pieces.add_text(text.substr(0, cut));
  pieces.add_text(text.substr(cut));
  EXPECT_EQ(pieces.train().fingerprint(), a.fingerprint());
}

TEST(TokenizerTrain, StopsWhenPairsRunOut) {
  const Tokenizer tok = train_on("ab ab ab", 1000);
  EXPECT_LT(tok.vocab_size(), 1000);
  EXPECT_EQ(tok.token(tok.vocab_size() - 1), "<|endoftext|>");
  const Tokenizer with_singletons = train_on("abcdefgh", 1000, 1);
  EXPECT_EQ(with_singletons.merges().size(), 7u);  // down to the whole word
  Tokenizer t = with_singletons;
  EXPECT_EQ(t.encode("abcdefgh").size(), 1u);
}

TEST(TokenizerTrain, SpecialTokensInTextAreNotLearned) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "doc text<|endoftext|>";
  const Tokenizer tok = train_on(text, 300);
  for (int id = 256; id < tok.vocab_size() - 1; ++id) {
    EXPECT_EQ(tok.token(id).find('|'), std::string::npos) << tok.token(id);
  }
}

TEST(TokenizerTrain, RejectsTooSmallVocab) {
  EXPECT_THROW(BpeTrainer({.vocab_size = 256}), Error);
  EXPECT_THROW(BpeTrainer({.vocab_size = 100}), Error);
}

}  // namespace
}  // namespace forge::data
