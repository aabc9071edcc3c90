// What a Trainer builds from its recipe before the first step: the model (this
// rank's pieces of it under tensor or pipeline parallelism), its flat parameter
// buffers, the optimizer and LR schedule, the data, and the dp x tp x pp layout
// with the groups the step synchronises over. The training step (train_step.h)
// and the step-end hooks (step_hooks.h) both work on one TrainContext.
#pragma once

#include <memory>
#include <vector>

#include "data/loader.h"
#include "distributed/grad_reducer.h"
#include "distributed/layout.h"
#include "distributed/pipeline.h"
#include "nn/flat_parameters.h"
#include "nn/mixed_precision.h"
#include "nn/transformer.h"
#include "optim/loss_scaler.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "optim/zero_adamw.h"
#include "recipes/recipe.h"
#include "train/training_sample.h"

namespace forge::recipes {

// The model architecture a recipe describes.
nn::ModelConfig model_config_of(const Recipe& recipe);

struct TrainContext {
  Recipe recipe;
  nn::ModelConfig config;
  std::unique_ptr<nn::TransformerLM> model;
  std::unique_ptr<nn::FlatParameters> flat;
  // Mixed precision (docs/mixed-precision.md): the bf16/fp16 working copies of
  // the fp32 masters (null under fp32), and fp16's dynamic loss scaler (scale 1
  // and disabled otherwise).
  std::unique_ptr<nn::WorkingWeights> working;
  std::unique_ptr<optim::LossScaler> scaler;
  std::unique_ptr<optim::Optimizer> optimizer;
  optim::Schedule schedule;
  std::unique_ptr<data::BatchSource> train_data, val_data;  // train/sft.h: SFT or pretraining loader
  std::unique_ptr<TrainingSampler> sampler;  // when data.tokenizer is set and the model is whole
  Generator dropout_gen;
  int64_t total_steps = 0;
  // Distributed training (docs/distributed.md): the layout, and either the
  // bucketed gradient all-reduce or the ZeRO-1 optimizer (which reduce-scatters).
  distributed::Layout layout;
  std::unique_ptr<distributed::GradBucketReducer> reducer;
  optim::ZeroAdamW* zero = nullptr;  // = optimizer when parallel.zero is 1
  // Tensor and pipeline parallelism: the model holds this rank's pieces.
  bool partitioned = false;
  distributed::PipelineSchedule pp_schedule = distributed::PipelineSchedule::one_f_one_b;
  std::shared_ptr<distributed::ProcessGroup> model_group;  // tp x pp of this replica (gradient norm)
  std::shared_ptr<distributed::ProcessGroup> tied_group;   // first + last stage: GPT-2's tied embedding (pp > 1)
  std::vector<Tensor> counted;                             // parameters the gradient norm counts on this rank
  int64_t whole_parameters = 0;                            // of the whole model

  // Only world rank 0 writes the run directory and prints.
  bool writer() const { return layout.rank == 0; }
  // What forward and backward compute in: the recipe's precision with the working copies.
  nn::AutocastPolicy autocast_policy() const {
    return working ? nn::AutocastPolicy{working->dtype(), working.get()} : nn::AutocastPolicy{};
  }
};

// Builds everything from the recipe and joins its layout over `world` (collective).
std::unique_ptr<TrainContext> make_train_context(Recipe recipe, std::shared_ptr<distributed::ProcessGroup> world);

}  // namespace forge::recipes
