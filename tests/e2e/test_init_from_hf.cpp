// init_from with a Hugging Face model.safetensors (+ config.json), through the
// real binary: a run started from `forge convert`'s export of a checkpoint has
// exactly that checkpoint's weights and trains exactly like a run started from
// the checkpoint itself (both families), and mismatches are listed with both
// shapes in forge's layout (GPT-2's Conv1D weights already transposed back).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "checkpoint/checkpoint.h"
#include "tests/e2e/e2e_util.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;

std::string write_recipe(const fs::path& dir, const std::string& family) {
  write_tiny_shards(dir / "data", 64, 4000);
  const fs::path path = dir / "recipe.yaml";
  std::ofstream(path) << "seed: 3\n"
                         "model:\n  family: " << family << "\n  n_layer: 2\n  n_head: 2\n  n_embd: 32\n"
                         "  vocab_size: 64\n  block_size: 16\n  dropout: 0.1\n"
                         "data:\n  train: " << (dir / "data" / "train_*.h5").string() << "\n"
                         "  batch_size: 2\n  seq_len: 16\n"
                         "train:\n  max_steps: 2\n  log_interval: 1\n";
  return path.string();
}

CommandResult train(const std::string& recipe, const fs::path& run_dir, const std::string& extra) {
  return run_forge("train '" + recipe + "' run.dir='" + run_dir.string() + "' " + extra);
}

// The loss values of metrics.jsonl, as written (round-trip exact).
std::vector<std::string> losses(const fs::path& run_dir) {
  std::ifstream in(run_dir / "metrics.jsonl");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find("\"loss\":");
    if (at != std::string::npos) out.push_back(line.substr(at, line.find(',', at) - at));
  }
  return out;
}

class InitFromHf : public ::testing::TestWithParam<const char*> {};

TEST_P(InitFromHf, ExportedModelLoadsExactlyAndTrainsLikeTheCheckpoint) {
  const fs::path dir = fresh_dir("initfrom_hf");
  const std::string recipe = write_recipe(dir, GetParam());
  ASSERT_EQ(train(recipe, dir / "a", "").exit_code, 0);
  const fs::path ckpt = dir / "a" / "checkpoints" / "step_2.h5";
  const CommandResult conv = run_forge("convert '" + ckpt.string() + "' '" + (dir / "hf").string() + "'");
  ASSERT_EQ(conv.exit_code, 0) << conv.output;
  const std::string hf = (dir / "hf" / "model.safetensors").string();

  // An lr that is 0 in fp32: the weights after one step are the loaded ones.
  CommandResult r = train(recipe, dir / "b", "train.max_steps=1 optim.lr=1e-50 init_from.path='" + hf + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const recipes::CheckpointContents a = recipes::load_checkpoint(ckpt.string(), false);
  EXPECT_NE(r.output.find("init_from: " + std::to_string(a.model.size()) + " tensors from '" + hf + "'"),
            std::string::npos) << r.output;
  const recipes::CheckpointContents b = recipes::load_checkpoint((dir / "b" / "checkpoints" / "step_1.h5").string(), false);
  ASSERT_EQ(a.model.size(), b.model.size());
  for (size_t i = 0; i < a.model.size(); ++i) {
    EXPECT_EQ(a.model[i].first, b.model[i].first);
    EXPECT_EQ(0, std::memcmp(a.model[i].second.data_ptr(), b.model[i].second.data_ptr(), a.model[i].second.nbytes()))
        << a.model[i].first;
  }

  // Training from the export is training from the checkpoint, loss for loss.
  ASSERT_EQ(train(recipe, dir / "c", "init_from.path='" + hf + "'").exit_code, 0);
  ASSERT_EQ(train(recipe, dir / "d", "init_from.path='" + ckpt.string() + "'").exit_code, 0);
  EXPECT_EQ(losses(dir / "c").size(), 2u);
  EXPECT_EQ(losses(dir / "c"), losses(dir / "d"));
}

INSTANTIATE_TEST_SUITE_P(Families, InitFromHf, ::testing::Values("gpt2", "llama"));

TEST(InitFromHfErrors, MismatchesListEveryNameWithBothShapes) {
  const fs::path dir = fresh_dir("initfrom_hf_bad");
  const std::string recipe = write_recipe(dir, "gpt2");
  ASSERT_EQ(train(recipe, dir / "a", "train.max_steps=1").exit_code, 0);
  ASSERT_EQ(run_forge("convert '" + (dir / "a" / "checkpoints" / "step_1.h5").string() + "' '" + (dir / "hf").string() + "'")
                .exit_code,
            0);
  const std::string hf = (dir / "hf" / "model.safetensors").string();

  CommandResult r = train(recipe, dir / "b", "train.max_steps=1 model.n_embd=48 init_from.path='" + hf + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("transformer.h.1.mlp.c_proj.weight: checkpoint (32, 128), model (48, 192)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("transformer.wte.weight: checkpoint (64, 32), model (64, 48)"), std::string::npos) << r.output;

  r = train(recipe, dir / "c", "train.max_steps=1 model.n_layer=3 init_from.path='" + hf + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("transformer.h.2.attn.c_attn.weight: not in the checkpoint (model (96, 32))"), std::string::npos)
      << r.output;

  fs::remove(dir / "hf" / "config.json");
  r = train(recipe, dir / "d", "train.max_steps=1 init_from.path='" + hf + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("needs its config.json next to it"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace forge::e2e
