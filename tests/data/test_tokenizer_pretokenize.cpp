// Tests for GPT-2's hand-written pre-tokenizer and the UTF-8 / Unicode class
// helpers: contractions, spaces before words, whitespace runs, digits,
// punctuation, unicode letters and numbers, and invalid UTF-8.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/tokenizer_pretokenize.h"
#include "data/tokenizer_unicode.h"

namespace forge::data {
namespace {

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  for (auto p : pretokenize(text)) out.emplace_back(p);
  return out;
}

using V = std::vector<std::string>;

TEST(TokenizerPretokenize, WordsAndLeadingSpaces) {
  EXPECT_EQ(split("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(split(" Hello"), (V{" Hello"}));
  EXPECT_EQ(split(""), V{});
  EXPECT_EQ(split("a"), V{"a"});
}

TEST(TokenizerPretokenize, Contractions) {
  EXPECT_EQ(split("I'm here, aren't you?"), (V{"I", "'m", " here", ",", " aren", "'t", " you", "?"}));
  EXPECT_EQ(split("they're we've he'll she'd it's"),
            (V{"they", "'re", " we", "'ve", " he", "'ll", " she", "'d", " it", "'s"}));
  // Only lower-case contractions; an apostrophe otherwise is punctuation.
  EXPECT_EQ(split("IT'S"), (V{"IT", "'", "S"}));
  EXPECT_EQ(split(" 's"), (V{" '", "s"}));
  EXPECT_EQ(split("'''x"), (V{"'''", "x"}));
  EXPECT_EQ(split("'sa"), (V{"'s", "a"}));
  EXPECT_EQ(split("'"), (V{"'"}));
}

TEST(TokenizerPretokenize, WhitespaceRuns) {
  // \s+(?!\S): a run keeps its last space for the next word.
  EXPECT_EQ(split("a  b"), (V{"a", " ", " b"}));
  EXPECT_EQ(split("a   b"), (V{"a", "  ", " b"}));
  EXPECT_EQ(split("trailing   "), (V{"trailing", "   "}));
  EXPECT_EQ(split("a\nb"), (V{"a", "\n", "b"}));
  EXPECT_EQ(split("a\n\nb"), (V{"a", "\n", "\n", "b"}));
  EXPECT_EQ(split("a\n\n b"), (V{"a", "\n\n", " b"}));
  EXPECT_EQ(split("x \n y"), (V{"x", " \n", " y"}));
  EXPECT_EQ(split("\t\tx"), (V{"\t", "\t", "x"}));
  EXPECT_EQ(split("   "), (V{"   "}));
  EXPECT_EQ(split("\r\n"), (V{"\r\n"}));
}

TEST(TokenizerPretokenize, DigitsAndPunctuation) {
  EXPECT_EQ(split("abc123def"), (V{"abc", "123", "def"}));
  EXPECT_EQ(split("pi 3.14!"), (V{"pi", " 3", ".", "14", "!"}));
  EXPECT_EQ(split("wow!!! ...ok"), (V{"wow", "!!!", " ...", "ok"}));
  EXPECT_EQ(split("a_b-c"), (V{"a", "_", "b", "-", "c"}));
  EXPECT_EQ(split("<|endoftext|>"), (V{"<|", "endoftext", "|>"}));
}

TEST(TokenizerPretokenize, Unicode) {
  EXPECT_EQ(split("naïve café"), (V{"naïve", " café"}));
  EXPECT_EQ(split("日本語のテキスト、中文"), (V{"日本語のテキスト", "、", "中文"}));
  EXPECT_EQ(split("Ⅻ ½²"), (V{"Ⅻ", " ½²"}));              // letter-numbers and other numbers are \p{N}
  EXPECT_EQ(split("a\u00a0b"), (V{"a", "\u00a0", "b"}));   // no-break space is \s but not ' '
  EXPECT_EQ(split("a\u3000\u3000b"), (V{"a", "\u3000", "\u3000", "b"}));
  EXPECT_EQ(split("hi 😀👍"), (V{"hi", " 😀👍"}));
  EXPECT_EQ(split("e\u0301"), (V{"e", "\u0301"}));  // combining mark: not a letter
}

TEST(TokenizerPretokenize, InvalidUtf8IsPartitioned) {
  const std::string bad = std::string("ab\xff\xfe cd\xc3") + "\x80\xe2\x82 \xed\xa0\x80 x\xf0\x9f\x98";
  std::string joined;
  for (auto p : pretokenize(bad)) {
    EXPECT_FALSE(p.empty());
    joined += p;
  }
  EXPECT_EQ(joined, bad);
  EXPECT_EQ(split("a\xff"), (V{"a", "\xff"}));
  EXPECT_EQ(split("\xc3\xa9t\xc3"), (V{"\xc3\xa9t", "\xc3"}));  // é then a truncated sequence
}

TEST(TokenizerUnicode, DecodeAndClassify) {
  EXPECT_EQ(classify_codepoint('a'), CharClass::letter);
  EXPECT_EQ(classify_codepoint('7'), CharClass::number);
  EXPECT_EQ(classify_codepoint('\v'), CharClass::space);
  EXPECT_EQ(classify_codepoint(0x1C), CharClass::other);  // not White_Space
  EXPECT_EQ(classify_codepoint(0x85), CharClass::space);
  EXPECT_EQ(classify_codepoint(0x4E2D), CharClass::letter);   // 中
  EXPECT_EQ(classify_codepoint(0x0663), CharClass::number);   // Arabic-Indic 3
  EXPECT_EQ(classify_codepoint(0x1F600), CharClass::other);   // emoji
  EXPECT_EQ(classify_codepoint(0x110000), CharClass::other);
  const std::string s = "\xf0\x9f\x98\x80";
  const DecodedChar d = decode_char(s, 0);
  EXPECT_EQ(d.codepoint, 0x1F600u);
  EXPECT_EQ(d.length, 4u);
  // Overlong, surrogate and truncated forms are single "other" bytes.
  for (std::string bad : {std::string("\xc0\xaf"), std::string("\xed\xa0\x80"), std::string("\xe2\x82")}) {
    const DecodedChar b = decode_char(bad, 0);
    EXPECT_EQ(b.length, 1u);
    EXPECT_EQ(b.cls, CharClass::other);
  }
}

}  // namespace
}  // namespace forge::data
