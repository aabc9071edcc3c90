// The training loop behind `forge train`: model, optimizer, schedule, data,
// evaluation and reporting, all configured by one resolved Recipe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "recipes/recipe.h"

namespace forge::nn {
class TransformerLM;
struct ModelConfig;
}  // namespace forge::nn

namespace forge::distributed {
class ProcessGroup;
}  // namespace forge::distributed

namespace forge::recipes {

struct TrainingState;

// The model architecture a recipe describes.
nn::ModelConfig model_config_of(const Recipe& recipe);

struct TrainSummary {
  int64_t steps = 0;
  double last_loss = 0.0;
  double last_val_loss = -1.0;  // < 0 when never evaluated
  double tokens_per_s = 0.0;
  std::string stopped_by;  // "SIGTERM" / "SIGINT" when a signal stopped the run early (after saving), else ""
  std::vector<double> losses;  // training loss of every step (the global batch's, same on every rank)
};

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
  // Saves <run.dir>/checkpoints/step_<N>.h5 (rank 0), points `latest` at it and
  // prunes old ones (checkpoint.keep_last). Collective (sharded optimizer state).
  void save_training_checkpoint(const TrainingState& progress);

  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace forge::recipes
