// SFT data: the chat template (special tokens, rendering, loss mask), the
// tokenizer files carrying added special tokens, chat JSONL parsing with its
// file/line/field errors, and `prepare_sft`'s all-or-nothing output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "data/chat_template.h"
#include "data/sft_prepare.h"
#include "data/token_shards.h"
#include "data/tokenizer_files.h"
#include "tests/data/test_tokenizer_util.h"
#include "tests/test_util.h"

namespace forge::data {
namespace {

namespace fs = std::filesystem;

// One token per byte (no merges) plus <|endoftext|> at 256: every character is one id.
Tokenizer byte_tokenizer() {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, static_cast<char>(b)));
  tokens.push_back(std::string(kEndOfText));
  return Tokenizer(tokens, {}, {{std::string(kEndOfText), 256}});
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

using testing::error_of;

TEST(ChatTemplate, ChatMLPiecesAndSpecialTokens) {
  const ChatTemplate t;
  EXPECT_EQ(t.special_tokens(), (std::vector<std::string>{"<|im_start|>", "<|im_end|>"}));
  EXPECT_EQ(t.header("user"), "<|im_start|>user\n");
  EXPECT_EQ(t.footer(), "<|im_end|>\n");
  EXPECT_NO_THROW(t.validate("t"));
}

TEST(ChatTemplate, ValidateRejectsBrokenPatterns) {
  EXPECT_NE(error_of([] { ChatTemplate{"<|a|>{role}: <|b|>", "<|b|>"}.validate("sft.chat_turn"); }).find("sft.chat_turn"),
            std::string::npos);
  EXPECT_NE(error_of([] { ChatTemplate{"{content}{role}<|b|>", "<|b|>"}.validate("x"); }).find("{role} once"),
            std::string::npos);
  EXPECT_NE(error_of([] { ChatTemplate{"{role}{content}<|b|>", "END"}.validate("x"); }).find("special"),
            std::string::npos);
  EXPECT_NE(error_of([] { ChatTemplate{"<|b|>{role}{content}\n", "<|b|>"}.validate("x"); }).find("follow {content}"),
            std::string::npos);
}

TEST(ChatTemplate, WithChatTokensAppendsOnlyMissingSpecials) {
  const Tokenizer base = byte_tokenizer();
  Tokenizer t = with_chat_tokens(base, ChatTemplate{});
  ASSERT_EQ(t.vocab_size(), 259);
  EXPECT_EQ(t.eot_id(), 256);
  EXPECT_EQ(t.encode("<|im_start|>x<|im_end|>"), (std::vector<int32_t>{257, 'x', 258}));
  EXPECT_EQ(chat_stop_id(t, ChatTemplate{}), 258);
  EXPECT_EQ(with_chat_tokens(t, ChatTemplate{}).vocab_size(), 259);  // already there: unchanged
  EXPECT_NE(t.fingerprint(), base.fingerprint());
  EXPECT_NO_THROW(check_chat_tokens(t, ChatTemplate{}, "tok"));
  const std::string e = error_of([&] { check_chat_tokens(base, ChatTemplate{}, "base/tok"); });
  EXPECT_NE(e.find("base/tok"), std::string::npos) << e;
  EXPECT_NE(e.find("<|im_start|>"), std::string::npos) << e;
}

TEST(ChatTemplate, LossMaskCoversEveryAssistantTurnAndItsStop) {
  Tokenizer t = with_chat_tokens(byte_tokenizer(), ChatTemplate{});
  const std::vector<ChatMessage> conv = {
      {"system", "S"}, {"user", "Q1"}, {"assistant", "A1"}, {"user", "Q2"}, {"assistant", "AB"}};
  const ChatTokens c = render_conversation(t, ChatTemplate{}, conv);
  ASSERT_EQ(c.ids.size(), c.loss_mask.size());
  EXPECT_EQ(t.decode(c.ids),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
            "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\nAB<|im_end|>\n");
  // The trained ids, in order: each assistant content and its <|im_end|>.
  std::vector<int32_t> trained;
  for (size_t i = 0; i < c.ids.size(); ++i)
    if (c.loss_mask[i]) trained.push_back(c.ids[i]);
  EXPECT_EQ(trained, (std::vector<int32_t>{'A', '1', 258, 'A', 'B', 258}));

  const ChatTokens all = render_conversation(t, ChatTemplate{}, conv, /*train_on_prompt=*/true);
  EXPECT_EQ(all.ids, c.ids);
  EXPECT_EQ(std::count(all.loss_mask.begin(), all.loss_mask.end(), 1), static_cast<long>(all.ids.size()));
}

TEST(ChatTemplate, ContentCannotInjectSpecialTokens) {
  Tokenizer t = with_chat_tokens(byte_tokenizer(), ChatTemplate{});
  const ChatTokens c = render_conversation(t, ChatTemplate{}, {{"user", "<|im_end|>"}, {"assistant", "ok"}});
  EXPECT_EQ(std::count(c.ids.begin(), c.ids.end(), 258), 2);  // the two footers only
}

TEST(ChatTemplate, PromptEndsWithAssistantHeader) {
  Tokenizer t = with_chat_tokens(byte_tokenizer(), ChatTemplate{});
  EXPECT_EQ(t.decode(render_prompt(t, ChatTemplate{}, {{"user", "hi"}})),
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  const ChatTemplate custom{"### {role}: {content}<|end|>\n\n", "<|end|>"};
  Tokenizer u = with_chat_tokens(byte_tokenizer(), custom);
  const ChatTokens c = render_conversation(u, custom, {{"user", "q"}, {"assistant", "a"}});
  EXPECT_EQ(u.decode(c.ids), "### user: q<|end|>\n\n### assistant: a<|end|>\n\n");
  std::vector<int32_t> trained;
  for (size_t i = 0; i < c.ids.size(); ++i)
    if (c.loss_mask[i]) trained.push_back(c.ids[i]);
  EXPECT_EQ(trained, (std::vector<int32_t>{'a', 257}));
}

TEST(ChatTemplate, TokenizerFilesKeepAddedSpecialTokens) {
  forge::testing::TempDir dir("sft_tok");
  const Tokenizer t = with_chat_tokens(byte_tokenizer(), ChatTemplate{});
  save_tokenizer(t, dir.path());
  for (const fs::path& p : {dir.path(), dir.path() / "tokenizer.json"}) {
    Tokenizer back = load_tokenizer(p);
    EXPECT_EQ(back.fingerprint(), t.fingerprint()) << p;
    EXPECT_EQ(back.encode("<|im_start|><|endoftext|>"), (std::vector<int32_t>{257, 256})) << p;
  }
  // Without chat tokens no added_tokens.json is left behind.
  save_tokenizer(byte_tokenizer(), dir.path());
  EXPECT_FALSE(fs::exists(dir.path() / "added_tokens.json"));
  EXPECT_EQ(load_tokenizer(dir.path()).vocab_size(), 257);
}

TEST(SftParse, BothFormats) {
  EXPECT_EQ(parse_chat_line(R"({"prompt": "p", "response": "r", "id": 7})", "f:1"),
            (std::vector<ChatMessage>{{"user", "p"}, {"assistant", "r"}}));
  EXPECT_EQ(parse_chat_line(R"({"system": "s", "prompt": "p", "response": "r"})", "f:1"),
            (std::vector<ChatMessage>{{"system", "s"}, {"user", "p"}, {"assistant", "r"}}));
  EXPECT_EQ(parse_chat_line(R"({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                                              {"role": "user", "content": "c"}]})",
                            "f:1"),
            (std::vector<ChatMessage>{{"user", "a"}, {"assistant", "b"}, {"user", "c"}}));
}

TEST(SftParse, MalformedLinesNameLineAndField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"messages": [{"role": "user", "content": "x"})", "invalid JSON"},
      {R"([1, 2])", "expected a JSON object"},
      {R"({"text": "x"})", "found neither"},
      {R"({"messages": [], "prompt": "x"})", "both"},
      {R"({"messages": "hi"})", "field \"messages\": expected a list"},
      {R"({"messages": []})", "field \"messages\": empty conversation"},
      {R"({"messages": [7]})", "field \"messages[0]\": expected an object"},
      {R"({"messages": [{"content": "x"}]})", "field \"messages[0].role\": missing"},
      {R"({"messages": [{"role": "user", "content": "x"}, {"role": "bot", "content": "y"}]})",
       "field \"messages[1].role\": unknown role 'bot'"},
      {R"({"messages": [{"role": "user", "content": 3}]})", "field \"messages[0].content\": expected a string"},
      {R"({"messages": [{"role": "user", "content": "x"}]})", "field \"messages\": no assistant turn"},
      {R"({"prompt": "x"})", "field \"response\": missing"},
      {R"({"prompt": 1, "response": "y"})", "field \"prompt\": expected a string"},
  };
  for (const auto& [line, expected] : cases) {
    const std::string e = error_of([&l = line] { parse_chat_line(l, "data/f.jsonl:12"); });
    EXPECT_EQ(e.rfind("data/f.jsonl:12: ", 0), 0u) << line << " -> " << e;
    EXPECT_NE(e.find(expected), std::string::npos) << line << " -> " << e;
  }
}

class SftPrepare : public ::testing::Test {
 protected:
  forge::testing::TempDir dir_{"sft_prepare"};
  fs::path in(const std::string& name, const std::string& text) {
    write_file(dir_.path() / name, text);
    return dir_.path() / name;
  }
  SftPrepareOptions options() {
    SftPrepareOptions o;
    o.out_dir = (dir_.path() / "out").string();
    return o;
  }
};

TEST_F(SftPrepare, WritesShardsWithMaskAndTheExtendedTokenizer) {
  const fs::path train = in("train.jsonl", "{\"prompt\": \"ab\", \"response\": \"cd\"}\n\n"
                                           "{\"messages\": [{\"role\": \"user\", \"content\": \"e\"},"
                                           " {\"role\": \"assistant\", \"content\": \"f\"}]}\n");
  const fs::path held = in("held.jsonl", "{\"prompt\": \"x\", \"response\": \"y\"}\n");
  SftPrepareOptions o = options();
  o.val_inputs = {held.string()};
  const SftPrepareSummary s = prepare_sft(byte_tokenizer(), {train.string()}, o);
  EXPECT_EQ(s.train_conversations, 2);
  EXPECT_EQ(s.val_conversations, 1);
  EXPECT_EQ(s.vocab_size, 259);
  EXPECT_EQ(s.trained_tokens, (2 + 1) + (1 + 1) + (1 + 1));  // content + <|im_end|> of each answer
  const TokenShard shard = read_shard((dir_.path() / "out" / "train_000000.h5").string());
  ASSERT_EQ(shard.doc_offsets.size(), 2u);
  ASSERT_EQ(shard.loss_mask.size(), shard.tokens.size());
  EXPECT_EQ(shard.vocab_size, 259);
  Tokenizer tok = load_tokenizer(s.tokenizer_dir);
  EXPECT_EQ(tok.vocab_size(), 259);
  std::vector<int32_t> first(shard.tokens.begin(), shard.tokens.begin() + shard.doc_offsets[1]);
  EXPECT_EQ(tok.decode(first), "<|im_start|>user\nab<|im_end|>\n<|im_start|>assistant\ncd<|im_end|>\n");
  EXPECT_TRUE(fs::exists(dir_.path() / "out" / "val_000000.h5"));
}

TEST_F(SftPrepare, BadLineFailsAndWritesNothing) {
  const fs::path good = in("good.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n");
  const fs::path bad = in("bad.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"messages\": []}\n");
  const std::string e = error_of([&] { prepare_sft(byte_tokenizer(), {good.string(), bad.string()}, options()); });
  EXPECT_NE(e.find(bad.string() + ":2: field \"messages\": empty conversation"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir_.path() / "out"));
}

TEST_F(SftPrepare, SkipBadCountsAndKeepsTheRest) {
  const fs::path bad = in("bad.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\nnot json\n"
                                       "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n");
  SftPrepareOptions o = options();
  o.skip_bad = true;
  const SftPrepareSummary s = prepare_sft(byte_tokenizer(), {bad.string()}, o);
  EXPECT_EQ(s.train_conversations, 1);
  ASSERT_EQ(s.skipped.size(), 2u);
  EXPECT_NE(s.skipped[0].find(":2: invalid JSON"), std::string::npos) << s.skipped[0];
  EXPECT_NE(s.skipped[1].find(":3: field \"messages\": no assistant turn"), std::string::npos) << s.skipped[1];
}

TEST_F(SftPrepare, OnlyBadLinesIsAnErrorEvenWhenSkipping) {
  const fs::path bad = in("bad.jsonl", "nope\n");
  SftPrepareOptions o = options();
  o.skip_bad = true;
  EXPECT_NE(error_of([&] { prepare_sft(byte_tokenizer(), {bad.string()}, o); }).find("no valid conversation"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir_.path() / "out"));
}

}  // namespace
}  // namespace forge::data
