// SFT in recipes: the `sft` keys (round trip, template validation), growing an
// init_from vocabulary with mean-embedding rows, and exact-match reading.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "recipes/recipe.h"
#include "train/sft.h"
#include "train/sft_eval.h"
#include "tests/data/test_tokenizer_util.h"
#include "tests/test_util.h"

namespace forge::recipes {
namespace {

const char* kBase = "model: {preset: gpt2-test}\ndata: {train: x}\ntrain: {max_steps: 1}\n";

using testing::error_of;

TEST(SftRecipe, DefaultsAreChatMLAndDumpRoundTrips) {
  const Recipe base = parse_recipe(kBase, "t.yaml");
  EXPECT_FALSE(base.sft.enabled);
  EXPECT_EQ(chat_template_of(base), data::ChatTemplate{});
  const Recipe r = parse_recipe(std::string(kBase) +
                                    "sft: {enabled: true, packing: true, chat_turn: \"### {role}: {content}<|end|>\\n\\n\","
                                    " chat_stop: \"<|end|>\", extend_vocab: false}\n",
                                "t.yaml");
  EXPECT_TRUE(r.sft.enabled && r.sft.packing && !r.sft.extend_vocab);
  EXPECT_EQ(r.sft.chat_turn, "### {role}: {content}<|end|>\n\n");
  EXPECT_EQ(parse_recipe(dump(r), "dump.yaml"), r);
  EXPECT_TRUE(with_overrides(base, {"sft.packing=true"}).sft.packing);
}

TEST(SftRecipe, BadTemplateNamesTheKey) {
  const std::string e = error_of([] { parse_recipe(std::string(kBase) + "sft: {chat_turn: \"{content} only\"}\n", "t.yaml"); });
  EXPECT_NE(e.find("sft.chat_turn"), std::string::npos) << e;
  EXPECT_NE(e.find("{role} once"), std::string::npos) << e;
  const std::string s = error_of([] { parse_recipe(std::string(kBase) + "sft: {chat_stop: \"</s>\"}\n", "t.yaml"); });
  EXPECT_NE(s.find("'</s>' must be one of the turn's special"), std::string::npos) << s;
}

TEST(SftVocab, NewRowsAreTheMeanEmbedding) {
  // wte (3, 2) and an untied head (3, 2) grow to 5 rows; other tensors untouched.
  std::vector<std::pair<std::string, Tensor>> w = {
      {"model.embed_tokens.weight", Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 9}, {3, 2})},
      {"model.norm.weight", Tensor::from_vector(std::vector<float>{1, 1}, {2})},
      {"lm_head.weight", Tensor::from_vector(std::vector<float>{0, 0, 0, 3, 6, 6}, {3, 2})}};
  EXPECT_EQ(extend_vocab(w, 5), 2);
  ASSERT_EQ(w[0].second.shape(), (Shape{5, 2}));
  const float* e = w[0].second.data<float>();
  EXPECT_EQ(std::vector<float>(e, e + 10), (std::vector<float>{1, 2, 3, 4, 5, 9, 3, 5, 3, 5}));
  const float* h = w[2].second.data<float>();
  EXPECT_EQ(std::vector<float>(h + 6, h + 10), (std::vector<float>{2, 3, 2, 3}));
  EXPECT_EQ(w[1].second.shape(), (Shape{2}));
  EXPECT_NE(error_of([&] { extend_vocab(w, 4); }).find("cannot shrink"), std::string::npos);
}

TEST(SftVocab, InitFromAdaptsOnlyForSftWithExtendVocab) {
  auto weights = [] {
    return std::vector<std::pair<std::string, Tensor>>{
        {"transformer.wte.weight", Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2})}};
  };
  Recipe r = parse_recipe(kBase, "t.yaml");
  r.model.vocab_size = 4;
  auto w = weights();
  EXPECT_EQ(adapt_init_weights(r, w), 0);  // sft.enabled is false
  EXPECT_EQ(w[0].second.size(0), 2);
  r.sft.enabled = true;
  EXPECT_EQ(adapt_init_weights(r, w), 2);
  EXPECT_EQ(w[0].second.size(0), 4);
  EXPECT_EQ(adapt_init_weights(r, w), 0);  // already large enough
  r.sft.extend_vocab = false;
  auto w2 = weights();
  EXPECT_EQ(adapt_init_weights(r, w2), 0);
}

TEST(SftEvalSet, ReadsPromptAndExpectedAnswer) {
  forge::testing::TempDir dir("sft_eval_set");
  const auto path = dir.path() / "h.jsonl";
  std::ofstream(path) << "{\"prompt\": \"What is 1 + 1?\", \"response\": \"2\"}\n"
                         "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"q\"},"
                         " {\"role\": \"assistant\", \"content\": \"a\"}]}\n";
  const auto set = read_exact_match_set(path.string());
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].answer, "2");
  EXPECT_EQ(set[1].prompt, (std::vector<data::ChatMessage>{{"system", "s"}, {"user", "q"}}));
  std::ofstream(path) << "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": "
                         "\"a\"}, {\"role\": \"user\", \"content\": \"q2\"}]}\n";
  const std::string e = error_of([&] { read_exact_match_set(path.string()); });
  EXPECT_NE(e.find(path.string() + ":1: field \"messages\": an evaluation example must end"), std::string::npos) << e;
  EXPECT_EQ(trim("  a b \n"), "a b");
}

}  // namespace
}  // namespace forge::recipes
