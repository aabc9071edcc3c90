// save_training_checkpoint refuses weights or optimizer state holding NaN or
// inf: nothing is written, `latest` keeps naming the last good checkpoint, and
// checkpoint.keep_last never deletes it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/philox.h"
#include "data/token_shards.h"
#include "distributed/process_group.h"
#include "train/step_hooks.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;

TEST(TrainingCheckpoint, NonFiniteWeightsAreNeverSavedNorNamedByLatest) {
  const fs::path dir = fs::temp_directory_path() / "forge_training_checkpoint_nonfinite";
  fs::remove_all(dir);
  fs::create_directories(dir);
  data::TokenShard shard;
  shard.vocab_size = 64;
  shard.tokenizer_fingerprint = "test";
  shard.doc_offsets = {0};
  for (uint32_t i = 0; i < 2000; ++i) shard.tokens.push_back((i * 7) % 64);
  data::write_shard((dir / "train_000000.h5").string(), shard);
  const Recipe recipe = parse_recipe("model: {family: gpt2, n_layer: 1, n_head: 2, n_embd: 16, vocab_size: 64, "
                                     "block_size: 8}\ndata: {train: '" + (dir / "train_*.h5").string() +
                                         "', batch_size: 2, seq_len: 8}\ntrain: {max_steps: 4}\n"
                                         "checkpoint: {keep_last: 1}\nrun: {dir: '" + (dir / "run").string() + "'}\n",
                                     "test");
  std::unique_ptr<TrainContext> context =
      make_train_context(recipe, std::make_shared<distributed::SingleProcessGroup>());
  fs::create_directories(dir / "run" / "checkpoints");
  StepResult result = compute_gradients(*context, StepPlan{});  // one real step: the optimizer has state
  clip_gradients(*context, result);
  apply_update(*context, result);
  ASSERT_FALSE(context->optimizer->state().empty());
  TrainingState state;
  state.step = state.loader_step = 1;
  save_training_checkpoint(*context, state);
  ASSERT_TRUE(fs::exists(dir / "run" / "checkpoints" / "step_1.h5"));

  // A diverged weight: step 2's checkpoint is refused, step_1.h5 stays `latest` and on disk.
  Tensor w = context->model->named_parameters().back().second;
  w.data<float>()[0] = std::nanf("");
  state.step = state.loader_step = 2;
  try {
    save_training_checkpoint(*context, state);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds NaN or inf"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "run" / "checkpoints" / "step_2.h5"));
  EXPECT_FALSE(fs::exists(dir / "run" / "checkpoints" / "step_2.h5.tmp"));
  EXPECT_TRUE(fs::exists(dir / "run" / "checkpoints" / "step_1.h5"));
  std::ifstream latest(dir / "run" / "checkpoints" / "latest");
  std::string name;
  std::getline(latest, name);
  EXPECT_EQ(name, "step_1.h5");

  // Optimizer state is checked too.
  w.data<float>()[0] = 0.0f;
  context->optimizer->state().begin()->second.data<float>()[0] = INFINITY;
  EXPECT_THROW(save_training_checkpoint(*context, state), Error);
  EXPECT_FALSE(fs::exists(dir / "run" / "checkpoints" / "step_2.h5"));
}

}  // namespace
}  // namespace forge::recipes
