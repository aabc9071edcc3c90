// The training-memory estimate: its parameter count against real models of
// both families, its parts, and the error for a model that cannot fit.
#include <gtest/gtest.h>

#include <cmath>

#include "distributed/process_group.h"
#include "nn/transformer.h"
#include "train/memory_estimate.h"

namespace forge::recipes {
namespace {

distributed::Layout one_process() {
  distributed::Layout layout;
  layout.world = std::make_shared<distributed::SingleProcessGroup>();
  return layout;
}

nn::ModelConfig config_of(nn::Family family, bool tied) {
  nn::ModelConfig c;
  c.family = family;
  c.n_layer = 3;
  c.n_head = 4;
  c.n_kv_head = family == nn::Family::llama ? 2 : 0;
  c.n_embd = 64;
  c.vocab_size = 500;
  c.block_size = 32;
  c.tie_embeddings = tied;
  return c;
}

TEST(MemoryEstimate, CountsTheParametersOfRealModels) {
  for (const auto& [family, tied] : {std::pair{nn::Family::gpt2, true}, std::pair{nn::Family::llama, false},
                                     std::pair{nn::Family::llama, true}}) {
    const nn::ModelConfig c = config_of(family, tied);
    const nn::TransformerLM model(c, 1);
    Recipe r;
    const MemoryEstimate e = estimate_training_memory(r, c, one_process());
    EXPECT_NEAR(static_cast<double>(e.parameters), static_cast<double>(model.num_parameters()),
                0.01 * static_cast<double>(model.num_parameters()))
        << nn::family_name(family) << (tied ? " tied" : " untied");
  }
}

TEST(MemoryEstimate, PartsFollowOptimizerAndBatch) {
  const nn::ModelConfig c = config_of(nn::Family::gpt2, true);
  Recipe r;
  r.data.batch_size = 4;
  r.data.seq_len = 32;
  r.optim.name = "adamw";
  const MemoryEstimate adamw = estimate_training_memory(r, c, one_process());
  EXPECT_DOUBLE_EQ(adamw.weights, 4.0 * static_cast<double>(adamw.parameters));
  EXPECT_DOUBLE_EQ(adamw.gradients, adamw.weights);
  EXPECT_DOUBLE_EQ(adamw.optimizer, 2 * adamw.weights);
  r.optim.name = "sgd";
  r.optim.momentum = 0;
  EXPECT_EQ(estimate_training_memory(r, c, one_process()).optimizer, 0.0);
  r.data.batch_size = 8;
  EXPECT_DOUBLE_EQ(estimate_training_memory(r, c, one_process()).activations, 2 * adamw.activations);
  r.train.activation_checkpointing = true;
  EXPECT_LT(estimate_training_memory(r, c, one_process()).activations, 2 * adamw.activations);
}

TEST(MemoryEstimate, AModelThatCannotFitNamesTheEstimateAndTheMachine) {
  nn::ModelConfig c = config_of(nn::Family::gpt2, true);
  c.n_layer = 1000000;
  Recipe r;
  const MemoryEstimate e = estimate_training_memory(r, c, one_process());
  MachineMemory m;
  m.total = 64e9;
  m.available = 32e9;
  m.cgroup_limit = 8e9;
  try {
    check_training_memory(e, m, false);
    FAIL() << "no error";
  } catch (const Error& err) {
    const std::string what = err.what();
    EXPECT_NE(what.find("does not fit in memory: training it needs about " + format_bytes(e.total())),
              std::string::npos) << what;
    EXPECT_NE(what.find("64.0 GB (MemTotal; cgroup limit 8.0 GB)"), std::string::npos) << what;
  }
  // The same model at 3 layers fits; the machine's own numbers are read.
  EXPECT_NO_THROW(check_training_memory(estimate_training_memory(r, config_of(nn::Family::gpt2, true), one_process()),
                                        machine_memory(), false));
  EXPECT_GT(machine_memory().total, 0);
}

}  // namespace
}  // namespace forge::recipes
