// Recipe loading: defaults, the shipped recipes, every error class (with the
// key path, file and line in the message), overrides, and the dump/load round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.h"
#include "recipes/model_presets.h"
#include "recipes/recipe.h"
#include "tests/test_util.h"

namespace forge::recipes {
namespace {

using testing::error_of;

const std::string kRepo = std::string(FORGE_TEST_DATA_DIR) + "/../..";

// The smallest valid recipe.
const char* kMinimal = R"(model:
  preset: gpt2-test
data:
  train: shards/train_*.h5
train:
  max_steps: 10
)";

std::string parse_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return error_of([&] { parse_recipe(yaml, "t.yaml", overrides); });
}

TEST(Recipe, DefaultsAndPresetExpansion) {
  const Recipe r = parse_recipe(kMinimal, "configs/mini.yaml");
  EXPECT_EQ(r.run.name, "mini");
  EXPECT_EQ(r.run.dir, "runs/mini");
  EXPECT_EQ(r.seed, 1337);
  EXPECT_EQ(r.precision, Precision::fp32);
  // model.preset gpt2-test, fully expanded
  EXPECT_EQ(r.model.preset, "gpt2-test");
  EXPECT_EQ(r.model.family, nn::Family::gpt2);
  EXPECT_EQ(r.model.n_layer, 2);
  EXPECT_EQ(r.model.n_head, 2);
  EXPECT_EQ(r.model.n_kv_head, 2);
  EXPECT_EQ(r.model.n_embd, 32);
  EXPECT_EQ(r.model.vocab_size, 64);
  EXPECT_EQ(r.model.block_size, 16);
  EXPECT_EQ(r.model.ffn_hidden, 128);
  EXPECT_TRUE(r.model.tie_embeddings);
  EXPECT_EQ(r.model.dropout, 0.0);
  EXPECT_EQ(r.data.train, "shards/train_*.h5");
  EXPECT_EQ(r.data.val, "");
  EXPECT_EQ(r.data.batch_size, 8);
  EXPECT_EQ(r.data.seq_len, 16);  // = block_size
  EXPECT_EQ(r.data.grad_accum, 1);
  EXPECT_EQ(r.data.order, DataOrder::random);
  EXPECT_EQ(r.optim.name, "adamw");
  EXPECT_EQ(r.optim.lr, 3e-4);
  EXPECT_EQ(r.optim.betas, (std::array<double, 2>{0.9, 0.95}));
  EXPECT_EQ(r.optim.eps, 1e-8);
  EXPECT_EQ(r.optim.weight_decay, 0.1);
  EXPECT_EQ(r.optim.grad_clip, 1.0);
  EXPECT_EQ(r.schedule.name, "cosine");
  EXPECT_EQ(r.schedule.warmup_steps, 0);
  EXPECT_FALSE(r.schedule.min_lr.has_value());
  EXPECT_DOUBLE_EQ(r.min_lr(), 3e-5);
  EXPECT_EQ(r.train.max_steps, 10);
  EXPECT_EQ(r.train.max_tokens, 0);
  EXPECT_EQ(r.train.log_interval, 10);
  EXPECT_EQ(r.train.eval_interval, 250);
  EXPECT_FALSE(r.train.activation_checkpointing);
  EXPECT_EQ(r.checkpoint.interval, 1000);
  EXPECT_EQ(r.checkpoint.keep_last, 3);
  EXPECT_EQ(r.init_from.path, "");
  EXPECT_TRUE(r.init_from.strict);
  EXPECT_EQ(r.resume.mode, ResumeMode::none);
  EXPECT_EQ(r.parallel.dp, 0);  // auto
  EXPECT_EQ(r.parallel.tp, 1);
  EXPECT_EQ(r.parallel.pp, 1);
  EXPECT_EQ(r.parallel.zero, 0);
  EXPECT_EQ(r.total_steps(4), 10);
}

TEST(Recipe, FamilyDefaultsAndDerivedValues) {
  const Recipe llama = parse_recipe(R"(
model: {family: llama, n_layer: 2, n_head: 4, n_embd: 64, vocab_size: 100, block_size: 32}
data: {train: x.h5}
train: {max_tokens: 1000}
)", "l.yaml");
  EXPECT_EQ(llama.model.n_kv_head, 4);
  EXPECT_EQ(llama.model.ffn_hidden, 256);  // ceil(8/3 * 64) = 171, rounded up to 256
  EXPECT_FALSE(llama.model.tie_embeddings);
  EXPECT_EQ(llama.model.rope_theta, 10000.0);
  EXPECT_EQ(llama.total_steps(1), 4);  // ceil(1000 / (8 * 32))
  const Recipe gpt2 = parse_recipe(R"(
model: {family: gpt2, n_layer: 1, n_head: 2, n_embd: 48, vocab_size: 50, block_size: 16}
data: {train: x.h5, seq_len: 8}
train: {max_steps: 1}
)", "g.yaml");
  EXPECT_EQ(gpt2.model.ffn_hidden, 192);
  EXPECT_TRUE(gpt2.model.tie_embeddings);
  EXPECT_EQ(gpt2.data.seq_len, 8);
  // Keys next to a preset override it.
  const Recipe tuned = parse_recipe("model: {preset: llama-test, n_layer: 3, n_kv_head: 4}\n"
                                    "data: {train: x.h5}\ntrain: {max_steps: 1}\n", "t.yaml");
  EXPECT_EQ(tuned.model.n_layer, 3);
  EXPECT_EQ(tuned.model.n_kv_head, 4);
  EXPECT_EQ(tuned.model.ffn_hidden, 64);
}

TEST(Recipe, EveryPresetLoadsAndNamesAreUnique) {
  const auto names = model_preset_names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  for (const std::string& name : names) {
    const Recipe r = parse_recipe("model: {preset: " + name + "}\ndata: {train: x}\ntrain: {max_steps: 1}\n", "p.yaml");
    EXPECT_EQ(r.model.preset, name);
  }
  const Recipe big = parse_recipe("model: {preset: gpt2-124m}\ndata: {train: x}\ntrain: {max_steps: 1}\n", "p.yaml");
  EXPECT_EQ(big.model.n_embd, 768);
  EXPECT_EQ(big.model.vocab_size, 50257);
}

TEST(Recipe, ShippedRecipesLoadAndRoundTrip) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kRepo + "/recipes")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const Recipe r = load_recipe(entry.path().string());
    EXPECT_EQ(parse_recipe(dump(r), "dumped.yaml"), r);
    ++count;
  }
  EXPECT_GE(count, 3);
  const Recipe q = load_recipe(kRepo + "/recipes/quickstart.yaml");
  EXPECT_EQ(q.run.dir, "runs/quickstart");
  EXPECT_EQ(q.model.family, nn::Family::gpt2);
  EXPECT_EQ(q.resume.mode, ResumeMode::automatic);
  const Recipe g = load_recipe(kRepo + "/recipes/pretrain_gpt2_124m.yaml");
  EXPECT_EQ(g.precision, Precision::bf16);
  EXPECT_EQ(g.train.max_tokens, 10'000'000'000LL);
  EXPECT_EQ(g.tokens_per_step(8), 524288);
  EXPECT_EQ(g.parallel.zero, 1);
  const Recipe l = load_recipe(kRepo + "/recipes/pretrain_llama_tiny.yaml");
  EXPECT_EQ(l.model.family, nn::Family::llama);
  EXPECT_EQ(l.schedule.name, "wsd");
  EXPECT_EQ(l.model.n_kv_head, 4);
}

TEST(Recipe, UnknownKeysSuggestTheClosest) {
  std::string e = parse_error(std::string(kMinimal) + "optim:\n  lr: 1.0e-3\n  wieght_decay: 0.1\n");
  EXPECT_HAS(e, "t.yaml:9:");
  EXPECT_HAS(e, "optim.wieght_decay: unknown key");
  EXPECT_HAS(e, "did you mean 'optim.weight_decay'?");
  e = parse_error(std::string(kMinimal) + "lr: 0.1\n");
  EXPECT_HAS(e, "lr: unknown key (did you mean 'optim.lr'?)");
  e = parse_error(std::string(kMinimal) + "optimizer: {lr: 0.1}\n");
  EXPECT_HAS(e, "did you mean 'optim'?");
  e = parse_error(std::string(kMinimal) + "banana: 1\n");
  EXPECT_HAS(e, "banana: unknown key");
  EXPECT_EQ(e.find("did you mean"), std::string::npos) << e;
}

TEST(Recipe, WrongTypesNameKeyFileAndLine) {
  std::string e = parse_error(std::string(kMinimal) + "optim:\n  lr: fast\n");
  EXPECT_HAS(e, "t.yaml:8:7: optim.lr: expected a number, got 'fast'");
  e = parse_error(std::string(kMinimal) + "optim: {betas: 0.9}\n");
  EXPECT_HAS(e, "optim.betas: expected a list of two numbers");
  e = parse_error(std::string(kMinimal) + "optim: {betas: [0.9, 0.95, 0.99]}\n");
  EXPECT_HAS(e, "optim.betas: expected a list of two numbers");
  e = parse_error(std::string(kMinimal) + "checkpoint: 5\n");
  EXPECT_HAS(e, "checkpoint: expected a mapping of keys, got '5'");
  e = parse_error(std::string(kMinimal) + "model2: 1\nseed: [1, 2]\n");
  EXPECT_HAS(e, "model2: unknown key");
  e = parse_error("seed: [1, 2]\n");
  EXPECT_HAS(e, "t.yaml:1:7: seed: expected an integer, got a list");
  e = parse_error(std::string(kMinimal) + "train: {activation_checkpointing: maybe}\n");
  EXPECT_HAS(e, "duplicate key");  // `train` appears twice
  e = parse_error(std::string(kMinimal) + "checkpoint: {keep_last: 2.5}\n");
  EXPECT_HAS(e, "checkpoint.keep_last: expected an integer, got '2.5'");
  e = parse_error("model: {preset: gpt2-test, tie_embeddings: maybe}\n");
  EXPECT_HAS(e, "model.tie_embeddings: expected true or false, got 'maybe'");
  e = parse_error("- a\n- b\n");
  EXPECT_HAS(e, "expected a mapping of recipe keys at the top level");
}

TEST(Recipe, OutOfRangeValues) {
  const std::string m = kMinimal;
  EXPECT_HAS(parse_error(m + "optim: {lr: -1}\n"), "t.yaml:7:13: optim.lr: expected a number > 0, got -1");
  EXPECT_HAS(parse_error(m + "optim: {lr: 0}\n"), "optim.lr: expected a number > 0");
  EXPECT_HAS(parse_error(m + "checkpoint: {keep_last: -1}\n"), "checkpoint.keep_last: expected an integer >= 0, got -1");
  EXPECT_HAS(parse_error("data: {batch_size: 0}\n"), "data.batch_size: expected an integer >= 1, got 0");
  EXPECT_HAS(parse_error(m + "optim: {betas: [0.9, 1.0]}\n"), "optim.betas: expected a number in [0, 1), got 1");
  EXPECT_HAS(parse_error(m + "parallel: {zero: 2}\n"), "parallel.zero: expected 0 or 1, got 2");
  EXPECT_HAS(parse_error(m + "parallel: {dp: 0}\n"), "parallel.dp: expected an integer >= 1 or 'auto', got '0'");
  EXPECT_HAS(parse_error(m + "schedule: {min_lr_ratio: 1.5}\n"), "schedule.min_lr_ratio: expected a number in [0, 1], got 1.5");
  EXPECT_HAS(parse_error(m + "seed: -3\n"), "seed: expected an integer >= 0, got -3");
}

// The model section's keys are nn's model field table (plus preset and family).
TEST(Recipe, ModelKeysAreTheModelFieldTable) {
  std::vector<std::string> model_keys;
  for (const std::string& key : recipe_keys())
    if (key.rfind("model.", 0) == 0) model_keys.push_back(key);
  std::vector<std::string> expected = {"model.preset", "model.family"};
  for (const nn::ModelField& f : nn::model_fields()) expected.push_back("model." + f.name);
  EXPECT_EQ(model_keys, expected);
  // The section is the trainer's config as is.
  const Recipe r = parse_recipe(kMinimal, "t.yaml", {"model.dropout=0.25"});
  const nn::ModelConfig& config = r.model;
  nn::ModelConfig want = nn::preset(r.model.preset).resolved();
  want.dropout = 0.25;
  EXPECT_EQ(config, want);
}

TEST(Recipe, BadEnumsListChoicesAndSuggest) {
  const std::string m = kMinimal;
  EXPECT_HAS(parse_error(m + "precision: fp23\n"),
             "t.yaml:7:12: precision: expected one of fp32, bf16, fp16, got 'fp23' (did you mean 'fp32'?)");
  EXPECT_HAS(parse_error(m + "optim: {name: adam}\n"), "optim.name: expected one of adamw, sgd, got 'adam' (did you mean 'adamw'?)");
  EXPECT_HAS(parse_error(m + "data: {order: shuffled}\n"), "duplicate key");
  EXPECT_HAS(parse_error("data: {order: shuffled}\n"), "data.order: expected one of random, sequential, got 'shuffled'");
  EXPECT_HAS(parse_error(m + "schedule: {name: cosin}\n"), "did you mean 'cosine'?");
  EXPECT_HAS(parse_error("model: {preset: gpt2-125m}\n"), "model.preset: expected one of");
  EXPECT_HAS(parse_error("model: {preset: gpt2-125m}\n"), "did you mean 'gpt2-124m'?");
  EXPECT_HAS(parse_error("model: {family: mistral}\n"), "model.family: expected one of gpt2, llama, got 'mistral'");
}

TEST(Recipe, MissingFileAndMalformedYaml) {
  std::string e = error_of([] { load_recipe("/nonexistent/dir/recipe.yaml"); });
  EXPECT_HAS(e, "cannot read recipe file '/nonexistent/dir/recipe.yaml'");
  EXPECT_HAS(e, "No such file");
  e = parse_error("run:\n  name: x\nmodel:\n  preset: [gpt2-test\ndata: {}\n");
  EXPECT_HAS(e, "t.yaml:");
  EXPECT_HAS(e, "malformed YAML");
  e = parse_error("seed: 1\n  bad indent: 2\n");
  EXPECT_HAS(e, "t.yaml:2:");
  EXPECT_HAS(e, "malformed YAML");
  // A file on disk names itself in errors.
  const std::string path = (std::filesystem::temp_directory_path() / "forge_recipe_test_bad.yaml").string();
  std::ofstream(path) << kMinimal << "precision: fp8\n";
  e = error_of([&] { load_recipe(path); });
  EXPECT_HAS(e, path + ":7:12: precision:");
  std::filesystem::remove(path);
}

TEST(Recipe, CrossKeyRules) {
  const std::string d = "data: {train: x}\ntrain: {max_steps: 1}\n";
  EXPECT_HAS(parse_error(d), "model: set model.preset (one of");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test}\ntrain: {max_steps: 1}\n"), "data.train: required");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test}\ndata: {train: x}\n"),
             "train.max_steps: required: set train.max_steps or train.max_tokens");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test}\ndata: {train: x}\ntrain: {max_steps: 1, max_tokens: 5}\n"),
             "t.yaml:3:35: train.max_tokens: set only one of");
  EXPECT_HAS(parse_error("model: {family: gpt2, n_layer: 2, n_head: 3, n_embd: 32, vocab_size: 10, block_size: 8}\n" + d),
             "model.n_embd: 32 is not divisible by model.n_head 3");
  EXPECT_HAS(parse_error("model: {family: gpt2, n_head: 2, n_embd: 32, vocab_size: 10, block_size: 8}\n" + d),
             "t.yaml (default for model.family 'gpt2'): model.n_layer: required when model.preset is not set");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test, n_kv_head: 1}\n" + d),
             "model.n_kv_head: family 'gpt2' has no grouped-query attention");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test, tie_embeddings: false}\n" + d), "model.tie_embeddings: family 'gpt2' ties");
  EXPECT_HAS(parse_error("model: {preset: llama-test, n_kv_head: 3}\n" + d), "model.n_kv_head: model.n_head 4 is not divisible by n_kv_head 3");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test, family: llama}\n" + d),
             "model.family: 'llama' contradicts model.preset 'gpt2-test'");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test}\ndata: {train: x, seq_len: 17}\ntrain: {max_steps: 1}\n"),
             "data.seq_len: expected <= model.block_size (16), got 17");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test}\n" + d + "parallel: {tp: 4}\n"), "parallel.tp: model.n_head 2 is not divisible by tp 4");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test}\n" + d + "parallel: {pp: 3}\n"), "parallel.pp: expected <= model.n_layer (2), got 3");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test}\n" + d + "schedule: {min_lr: 1.0e-5, min_lr_ratio: 0.1}\n"),
             "schedule.min_lr: set only one of");
  EXPECT_HAS(parse_error("model: {preset: gpt2-test}\n" + d + "schedule: {min_lr: 1.0}\n"),
             "t.yaml:4:20: schedule.min_lr: expected <= optim.lr (3e-04), got 1");
}

TEST(Recipe, OverridesAreTypedAndLocated) {
  const Recipe r = parse_recipe(std::string(kMinimal) + "optim: {lr: 1.0e-3, weight_decay: 0.0}\n", "t.yaml",
                                {"optim.lr=0.01", "optim.betas=[0.8, 0.99]", "data.batch_size=4", "data.order=sequential",
                                 "precision=bf16", "init_from=ckpt/step_5.h5", "init_from.strict=false", "parallel.dp=2",
                                 "resume=runs/x/checkpoints/step_10.h5", "schedule={name: wsd, decay_fraction: 0.5}",
                                 "train.max_tokens=1e6", "train.max_steps=0", "run.dir=/tmp/forge_run", "data.val=",
                                 "data.batch_size=6"});
  EXPECT_EQ(r.optim.lr, 0.01);
  EXPECT_EQ(r.optim.weight_decay, 0.0);  // file value kept
  EXPECT_EQ(r.optim.betas, (std::array<double, 2>{0.8, 0.99}));
  EXPECT_EQ(r.data.batch_size, 6);  // the later override wins
  EXPECT_EQ(r.data.order, DataOrder::sequential);
  EXPECT_EQ(r.precision, Precision::bf16);
  EXPECT_EQ(r.init_from.path, "ckpt/step_5.h5");
  EXPECT_FALSE(r.init_from.strict);
  EXPECT_EQ(r.parallel.dp, 2);
  EXPECT_EQ(r.resume.mode, ResumeMode::path);
  EXPECT_EQ(r.resume.path, "runs/x/checkpoints/step_10.h5");
  EXPECT_EQ(r.schedule.name, "wsd");
  EXPECT_EQ(r.schedule.decay_fraction, 0.5);
  EXPECT_EQ(r.train.max_tokens, 1000000);
  EXPECT_EQ(r.run.dir, "/tmp/forge_run");
  EXPECT_EQ(r.run.name, "t");
  EXPECT_EQ(r.data.val, "");
  // A preset override switches the whole base model.
  EXPECT_EQ(parse_recipe(kMinimal, "t.yaml", {"model.preset=llama-test"}).model.family, nn::Family::llama);
  EXPECT_EQ(parse_recipe(kMinimal, "t.yaml", {"resume=auto"}).resume.mode, ResumeMode::automatic);
}

TEST(Recipe, BadOverrides) {
  std::string e = parse_error(kMinimal, {"optim.lrr=1"});
  EXPECT_HAS(e, "command-line override 'optim.lrr=1': optim.lrr: unknown key (did you mean 'optim.lr'?)");
  e = parse_error(kMinimal, {"data.batch_size=big"});
  EXPECT_HAS(e, "command-line override 'data.batch_size=big': data.batch_size: expected an integer, got 'big'");
  e = parse_error(kMinimal, {"optim.lr=-0.1"});
  EXPECT_HAS(e, "command-line override 'optim.lr=-0.1': optim.lr: expected a number > 0");
  e = parse_error(kMinimal, {"optim.betas=[0.9,"});
  EXPECT_HAS(e, "command-line override 'optim.betas=[0.9,': optim.betas: malformed value");
  e = parse_error(kMinimal, {"optim.lr"});
  EXPECT_HAS(e, "command-line override 'optim.lr': expected key.path=value");
  e = parse_error(kMinimal, {"optim=0.1"});
  EXPECT_HAS(e, "optim: expected a mapping of keys, got '0.1'");
  e = parse_error(kMinimal, {"optim={lr: 0.1, foo: 2}"});
  EXPECT_HAS(e, "optim.foo: unknown key");
  e = parse_error(kMinimal, {"data.seq_len=100"});
  EXPECT_HAS(e, "command-line override 'data.seq_len=100': data.seq_len: expected <= model.block_size (16)");
}

TEST(Recipe, DumpLoadsBackEqual) {
  Recipe r = parse_recipe(kMinimal, "t.yaml");
  r.run.name = "a: tricky # name";
  r.run.dir = "runs/with space";
  r.seed = 7;
  r.precision = Precision::fp16;
  r.model.dropout = 0.1;
  r.model.rope_theta = 500000.0;
  r.model.norm_eps = 1e-6;
  r.data.val = "null";  // must survive as a string, not become empty
  r.data.order = DataOrder::sequential;
  r.optim.name = "sgd";
  r.optim.lr = 0.1 + 0.2;  // not a short decimal
  r.optim.momentum = 0.85;
  r.optim.betas = {0.8, 0.999};
  r.schedule.name = "linear";
  r.schedule.min_lr = 1e-5;
  r.schedule.decay_steps = 123;
  r.train.max_steps = 0;
  r.train.max_tokens = 123456789012LL;
  r.train.sample_prompt = "";
  r.train.peak_flops = 989e12;
  r.train.activation_checkpointing = true;
  r.checkpoint.keep_last = 0;
  r.init_from = {"ckpt.h5", false};
  r.resume = {ResumeMode::path, "runs/old/checkpoints/step_100.h5"};
  r.parallel = {2, 1, 2, 1};
  const std::string text = dump(r);
  const Recipe back = parse_recipe(text, "dumped.yaml");
  EXPECT_EQ(back, r) << text;
  EXPECT_EQ(dump(back), text);
  EXPECT_HAS(text, "lr: 0.30000000000000004");
  EXPECT_HAS(text, "betas: [0.8, 0.999]");
  EXPECT_HAS(text, "dp: 2");
  // Auto dp and the default resume mode also survive.
  const Recipe d = parse_recipe(kMinimal, "t.yaml");
  EXPECT_HAS(dump(d), "dp: auto");
  EXPECT_EQ(parse_recipe(dump(d), "x.yaml"), d);
  // with_overrides re-resolves a loaded recipe.
  const Recipe o = with_overrides(d, {"optim.lr=0.5", "seed=9"});
  EXPECT_EQ(o.optim.lr, 0.5);
  EXPECT_EQ(o.seed, 9);
  EXPECT_EQ(o.run, d.run);
}

TEST(Recipe, OverrideDetectionAndKeyList) {
  EXPECT_TRUE(is_override("optim.lr=1e-3"));
  EXPECT_TRUE(is_override("seed=1"));
  EXPECT_FALSE(is_override("recipes/quickstart.yaml"));
  EXPECT_FALSE(is_override("=3"));
  EXPECT_FALSE(is_override("dir/a=b.yaml"));
  const auto keys = recipe_keys();
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
  for (const char* k : {"run.dir", "seed", "precision", "data.batch_size", "data.seq_len", "data.grad_accum", "data.order",
                        "optim.lr", "train.max_steps", "train.log_interval", "train.eval_interval", "checkpoint.interval",
                        "checkpoint.keep_last", "init_from.path", "resume", "parallel.dp", "parallel.tp", "parallel.pp",
                        "parallel.zero"})
    EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;
}

TEST(Recipe, ReferenceDocumentsEveryKey) {
  std::ifstream in(kRepo + "/docs/recipe-reference.md");
  ASSERT_TRUE(in.good()) << "docs/recipe-reference.md missing";
  std::stringstream text;
  text << in.rdbuf();
  for (const std::string& key : recipe_keys()) EXPECT_HAS(text.str(), "`" + key + "`");
  EXPECT_HAS(text.str(), "s·(B·accum·dp) + a·(B·dp) + d·B + r");
}

}  // namespace
}  // namespace forge::recipes
