// The training loop behind `forge train`: model, optimizer, schedule, data,
// evaluation and reporting, all configured by one resolved Recipe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "recipes/recipe.h"

namespace forge::nn {
class TransformerLM;
struct ModelConfig;
}  // namespace forge::nn

namespace forge::recipes {

// The model architecture a recipe describes.
nn::ModelConfig model_config_of(const Recipe& recipe);

struct TrainSummary {
  int64_t steps = 0;
  double last_loss = 0.0;
  double last_val_loss = -1.0;  // < 0 when never evaluated
  double tokens_per_s = 0.0;
};

class Trainer {
 public:
  explicit Trainer(Recipe recipe);
  ~Trainer();
  TrainSummary run();
  const nn::TransformerLM& model() const;

  // Mean loss over `steps` batches of the validation data (eval mode, no grad).
  double evaluate(int64_t steps);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace forge::recipes
