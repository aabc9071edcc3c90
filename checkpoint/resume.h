// What a training run keeps in its checkpoints and how it continues from one:
// which checkpoint a recipe's `resume` setting selects, the contents of a
// training checkpoint (weights, whole optimizer state, step, tokens seen,
// dropout RNG, loader position, layout, model config, resolved recipe), and
// restoring all of that so the continued run is bitwise the uninterrupted one.
// File format and crash safety: checkpoint.h and docs/checkpoints.md.
#pragma once

#include <functional>
#include <string>

#include "checkpoint/checkpoint.h"
#include "recipes/recipe.h"

namespace forge::nn {
class Module;
}
namespace forge::optim {
class Optimizer;
}

namespace forge::recipes {

// The checkpoint the run continues from, "" for a fresh start:
//   resume: auto  -> what <run.dir>/checkpoints/latest names, "" when there is none
//   resume: PATH  -> PATH (an error if it does not exist)
//   resume: none  -> "", but an error when <run.dir> already has a `latest`
//                    (starting over would overwrite that run's checkpoints).
// `note` receives a line for the console explaining the choice.
std::string resume_checkpoint(const Recipe& recipe, std::string& note);

// A checkpoint of the run as it is now. The optimizer's state must be whole
// (call Optimizer::gather_state() first on sharded optimizers).
CheckpointContents training_checkpoint(const Recipe& recipe, const nn::ModelConfig& config, const nn::Module& model,
                                       optim::Optimizer& optimizer, const TrainingState& state);

// Loads `path` and puts its weights into `model` and its optimizer state and
// step count into `optimizer` (call Optimizer::load_state() after, for sharded
// ones); returns the rest of the training state. The checkpoint must describe
// the recipe's model (an error lists every differing field) and hold state for
// the recipe's optimizer. `localize` (optional) rewrites the whole tensors read
// from the file into this rank's pieces before they are checked and applied
// (a model spread over a dp × tp × pp layout, checkpoint/model_shards.h).
TrainingState restore_training(const std::string& path, const Recipe& recipe, const nn::ModelConfig& config,
                               nn::Module& model, optim::Optimizer& optimizer,
                               const std::function<void(CheckpointContents&)>& localize = {});

}  // namespace forge::recipes
