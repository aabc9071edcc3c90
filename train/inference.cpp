// Model and tokenizer of a checkpoint, for inference (see inference.h).
#include "train/inference.h"

#include "nn/transformer.h"
#include "checkpoint/init_from.h"
#include "recipes/recipe.h"

namespace forge::recipes {

std::unique_ptr<nn::TransformerLM> model_from_checkpoint(const CheckpointContents& contents,
                                                         const std::string& origin) {
  auto model = std::make_unique<nn::TransformerLM>(contents.model_config, /*seed=*/0);
  apply_weights(*model, contents.model, /*strict=*/true, origin);
  model->eval();
  return model;
}

std::string tokenizer_of_checkpoint(const CheckpointContents& contents, const std::string& origin) {
  if (contents.recipe_yaml.empty()) return "";
  return parse_recipe(contents.recipe_yaml, origin + " (/config recipe)").data.tokenizer;
}

}  // namespace forge::recipes
