// Model and tokenizer of a checkpoint, for inference (see inference.h).
#include "recipes/inference.h"

#include <map>
#include <set>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "common/error.h"
#include "nn/transformer.h"
#include "recipes/recipe.h"

namespace forge::recipes {

void load_weights(nn::TransformerLM& model, const std::vector<std::pair<std::string, Tensor>>& weights,
                  const std::string& origin) {
  std::map<std::string, Tensor> by_name;
  for (const auto& [name, t] : weights) by_name.emplace(name, t);
  NoGradGuard no_grad;
  std::set<std::string> used;
  for (const auto& [name, param] : model.named_parameters()) {
    auto it = by_name.find(name);
    FORGE_CHECK(it != by_name.end(), origin << ": the model's parameter '" << name << "' is missing");
    FORGE_CHECK(it->second.shape() == param.shape(), origin << ": tensor '" << name << "' has shape "
                                                             << shape_str(it->second.shape()) << ", the model expects "
                                                             << shape_str(param.shape()));
    ops::copy_(param, it->second);
    used.insert(name);
  }
  for (const auto& [name, t] : weights)
    FORGE_CHECK(used.count(name), origin << ": tensor '" << name << "' is not a parameter of the "
                                         << nn::family_name(model.config().family) << " model its config describes");
}

std::unique_ptr<nn::TransformerLM> model_from_checkpoint(const CheckpointContents& contents,
                                                         const std::string& origin) {
  auto model = std::make_unique<nn::TransformerLM>(contents.model_config, /*seed=*/0);
  load_weights(*model, contents.model, origin);
  model->eval();
  return model;
}

std::string tokenizer_of_checkpoint(const CheckpointContents& contents, const std::string& origin) {
  if (contents.recipe_yaml.empty()) return "";
  return parse_recipe(contents.recipe_yaml, origin + " (/config recipe)").data.tokenizer;
}

}  // namespace forge::recipes
