// The training loop behind `forge train`: a TrainContext built from one
// resolved Recipe (train_context.h), where the run starts (a checkpoint to
// resume, init_from's weights, or fresh ones), then for every step the training
// step (train_step.h) and the step-end hooks (step_hooks.h). docs/trainer.md
// describes the pieces.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "recipes/recipe.h"
#include "train/step_hooks.h"

namespace forge::distributed {
class ProcessGroup;
}  // namespace forge::distributed

namespace forge::recipes {

class Trainer {
 public:
  explicit Trainer(Recipe recipe);
  // A trainer that joins the recipe's dp x tp x pp layout over `world` (collective;
  // distributed/layout.h). Only world rank 0 writes the run directory and prints.
  Trainer(Recipe recipe, std::shared_ptr<distributed::ProcessGroup> world);
  ~Trainer();
  // Trains to the recipe's last step, continuing from a checkpoint when `resume`
  // says so; saves checkpoints every checkpoint.interval steps and at the end.
  // SIGTERM/SIGINT stop it after the current step with a checkpoint saved
  // (summary.stopped_by); see docs/checkpoints.md.
  TrainSummary run();
  const nn::TransformerLM& model() const;
  // Every parameter whole, by name in single-process order, on world rank 0
  // (empty on other ranks); model() holds only this rank's pieces under tensor
  // or pipeline parallelism. Collective.
  std::vector<std::pair<std::string, Tensor>> whole_weights();

  // Mean loss over `steps` batches of the validation data (eval mode, no grad).
  double evaluate(int64_t steps);

 private:
  std::unique_ptr<TrainContext> s_;
};

}  // namespace forge::recipes
