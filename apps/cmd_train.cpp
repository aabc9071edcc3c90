// `forge train RECIPE.yaml [key.path=value ...]`: runs a recipe.
#include <cstdio>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "distributed/world.h"
#include "recipes/recipe.h"
#include "train/trainer.h"

namespace forge::apps {
namespace {

int train(int argc, char** argv) {
  std::vector<std::string> args = FlagParser("forge train").parse(argc, argv);
  FORGE_CHECK(!args.empty(), "usage: forge train RECIPE.yaml [key.path=value ...]");
  const std::string recipe_path = args[0];
  const std::vector<std::string> overrides(args.begin() + 1, args.end());
  for (const std::string& o : overrides)
    FORGE_CHECK(recipes::is_override(o),
                "argument '" << o << "' is not a key.path=value override (see docs/recipe-reference.md)");
  recipes::Recipe recipe = recipes::load_recipe(recipe_path, overrides);
  // Under mpirun (or srun) every rank joins the recipe's dp x tp x pp layout.
  recipes::Trainer trainer(recipe, distributed::init_world());
  recipes::TrainSummary s = trainer.run();
  if (distributed::world_rank() != 0) return 0;
  std::printf("%s: %lld steps, final loss %.4f", s.stopped_by.empty() ? "done" : ("stopped by " + s.stopped_by).c_str(),
              static_cast<long long>(s.steps), s.last_loss);
  if (s.last_val_loss >= 0) std::printf(", val loss %.4f", s.last_val_loss);
  std::printf(" (run dir %s)\n", recipe.run.dir.c_str());
  return 0;
}

const bool registered = register_command(
    "train", {"pretrain or fine-tune a model as a recipe says",
              "usage: forge train RECIPE.yaml [key.path=value ...]\n\n"
              "Runs the training loop a YAML recipe describes (docs/recipe-reference.md).\n"
              "key.path=value arguments override the file, e.g. optim.lr=1e-3 train.max_steps=100.\n"
              "Writes RUN_DIR/recipe.yaml (resolved), RUN_DIR/metrics.jsonl and checkpoints in\n"
              "RUN_DIR/checkpoints/ (resume=auto continues a run; SIGTERM/SIGINT stop it after the\n"
              "current step with a checkpoint saved; docs/checkpoints.md).\n"
              "Distributed: mpirun -np N forge train RECIPE.yaml parallel.dp=N (docs/distributed.md).",
              train});

}  // namespace
}  // namespace forge::apps
