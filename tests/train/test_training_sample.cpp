// TrainingSampler: the text samples printed during training (prompt from the
// recipe or the data, length capped by block_size, reproducible, errors).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "data/tokenizer_files.h"
#include "data/tokenizer_train.h"
#include "nn/generate.h"
#include "nn/transformer.h"
#include "train/training_sample.h"

namespace forge {
namespace {

// One folder per test: ctest runs the tests of this file in parallel processes.
std::string tokenizer_dir() {
  const auto dir = std::filesystem::temp_directory_path() /
                   (std::string("forge_training_sample_tokenizer_") +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
  data::BpeTrainOptions options;
  options.vocab_size = 280;
  data::BpeTrainer trainer(options);
  trainer.add_text("once upon a time there was a cat. once upon a time there was a dog.\n");
  data::save_tokenizer(trainer.train(), dir);
  return dir.string();
}

recipes::Recipe recipe_with(const std::string& tokenizer, const std::string& prompt, int64_t tokens) {
  recipes::Recipe r = recipes::parse_recipe(
      "model: {family: llama, n_layer: 1, n_head: 2, n_embd: 16, vocab_size: 290, block_size: 12}\n"
      "data: {train: x.h5}\ntrain: {max_steps: 1}\n",
      "t.yaml");
  r.data.tokenizer = tokenizer;
  r.train.sample_prompt = prompt;
  r.train.sample_tokens = tokens;
  r.seed = 9;
  return r;
}

nn::ModelConfig config() {
  nn::ModelConfig c = nn::preset("llama-test");
  c.n_layer = 1;
  c.n_head = 2;
  c.n_kv_head = 2;
  c.n_embd = 16;
  c.vocab_size = 290;
  c.block_size = 12;
  return c;
}

TEST(TrainingSampler, PromptPlusSeededContinuationCappedByBlockSize) {
  const std::string tok_dir = tokenizer_dir();
  nn::TransformerLM model(config(), 1);
  const recipes::TrainingSampler sampler(recipe_with(tok_dir, "once upon", 64), config(), 0);
  const std::string text = sampler.sample(model);
  EXPECT_EQ(sampler.sample(model), text);  // the same every time
  ASSERT_EQ(text.rfind("once upon", 0), 0u) << text;

  data::Tokenizer tok = data::load_tokenizer(tok_dir);
  std::vector<int64_t> prompt;
  for (int32_t id : tok.encode("once upon")) prompt.push_back(id);
  nn::GenerateOptions o;
  o.seed = 9;
  o.max_new_tokens = 12 - static_cast<int64_t>(prompt.size());  // 64 capped to what fits
  o.stop_token = tok.eot_id();
  o.vocab_limit = tok.vocab_size();
  std::vector<int32_t> ids;
  for (int64_t id : nn::generate(model, prompt, o)) ids.push_back(static_cast<int32_t>(id));
  EXPECT_EQ(text, "once upon" + tok.decode(ids));
}

// train.sample_temperature and train.sample_top_k reach the draws: greedy (0)
// and top-k samples equal nn::generate's with the same options, and the parsed
// keys are range-checked.
TEST(TrainingSampler, TemperatureAndTopKFromTheRecipe) {
  const std::string tok_dir = tokenizer_dir();
  nn::TransformerLM model(config(), 3);
  data::Tokenizer tok = data::load_tokenizer(tok_dir);
  std::vector<int64_t> prompt;
  for (int32_t id : tok.encode("once upon")) prompt.push_back(id);
  for (const auto& [temperature, top_k] : std::vector<std::pair<double, int64_t>>{{0.0, 0}, {0.7, 3}}) {
    recipes::Recipe r = recipe_with(tok_dir, "once upon", 6);
    r.train.sample_temperature = temperature;
    r.train.sample_top_k = top_k;
    const recipes::TrainingSampler sampler(r, config(), 0);
    nn::GenerateOptions o;
    o.temperature = temperature;
    o.top_k = top_k;
    o.seed = 9;
    o.max_new_tokens = 6;
    o.stop_token = tok.eot_id();
    o.vocab_limit = tok.vocab_size();
    std::vector<int32_t> ids;
    for (int64_t id : nn::generate(model, prompt, o)) ids.push_back(static_cast<int32_t>(id));
    EXPECT_EQ(sampler.sample(model), "once upon" + tok.decode(ids)) << "temperature " << temperature;
  }
  const std::string base = "model: {family: llama, n_layer: 1, n_head: 2, n_embd: 16, vocab_size: 290, block_size: 12}\n"
                           "data: {train: x.h5}\n";
  const recipes::Recipe r =
      recipes::parse_recipe(base + "train: {max_steps: 1, sample_temperature: 0.8, sample_top_k: 40}\n", "t.yaml");
  EXPECT_EQ(r.train.sample_temperature, 0.8);
  EXPECT_EQ(r.train.sample_top_k, 40);
  EXPECT_THROW(recipes::parse_recipe(base + "train: {max_steps: 1, sample_temperature: -1}\n", "t.yaml"), Error);
  EXPECT_THROW(recipes::parse_recipe(base + "train: {max_steps: 1, sample_top_k: -2}\n", "t.yaml"), Error);
}

TEST(TrainingSampler, EmptyPromptStartsFromTheDataToken) {
  const std::string tok_dir = tokenizer_dir();
  nn::TransformerLM model(config(), 2);
  data::Tokenizer tok = data::load_tokenizer(tok_dir);
  const int32_t first = tok.encode("c")[0];
  const recipes::TrainingSampler sampler(recipe_with(tok_dir, "", 3), config(), first);
  nn::GenerateOptions o;
  o.seed = 9;
  o.max_new_tokens = 3;
  o.stop_token = tok.eot_id();
  o.vocab_limit = tok.vocab_size();
  std::vector<int32_t> ids = {first};
  for (int64_t id : nn::generate(model, {first}, o)) ids.push_back(static_cast<int32_t>(id));
  EXPECT_EQ(sampler.sample(model), tok.decode(ids));
}

TEST(TrainingSampler, Errors) {
  const std::string tok_dir = tokenizer_dir();
  auto message = [&](const recipes::Recipe& r, const nn::ModelConfig& c, int64_t first) -> std::string {
    try {
      recipes::TrainingSampler s(r, c, first);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(recipe_with(tok_dir, "zqxzqxzqxzqx", 4), config(), 0).find("leaving no room"), std::string::npos);
  nn::ModelConfig small = config();
  small.vocab_size = 100;
  EXPECT_NE(message(recipe_with(tok_dir, "once", 4), small, 0).find("more than model.vocab_size 100"),
            std::string::npos);
  EXPECT_NE(message(recipe_with(tok_dir, "", 4), config(), 285).find("first token id 285"), std::string::npos);
  EXPECT_NE(message(recipe_with(tok_dir + "/missing", "x", 4), config(), 0).find("missing"), std::string::npos);
}

}  // namespace
}  // namespace forge
