// Training checkpoints and exact resume (see resume.h).
#include "checkpoint/resume.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "nn/config.h"
#include "nn/module.h"
#include "optim/optimizer.h"
#include "checkpoint/init_from.h"

namespace forge::recipes {

namespace {

// A run directory with step_<N>.h5 files but no `latest` (killed between the
// checkpoint's rename and `latest`'s): the newest file that reads back and
// verifies, or an error listing why each one failed.
std::string newest_verified(const std::string& run_dir, const std::vector<std::string>& files, std::string& note) {
  std::ostringstream failures;
  for (const std::string& path : files) {
    std::string error;
    try {
      for (const DatasetStatus& d : verify_checkpoint(path).datasets)
        if (error.empty() && !d.error.empty()) error = d.error;
    } catch (const Error& e) {
      error = e.what();
    }
    if (error.empty()) {
      note = "resume: auto: '" + run_dir + "/checkpoints' has no `latest` (interrupted while saving?); continuing " +
             "from the newest checkpoint that verifies, '" + path + "'" + failures.str();
      return path;
    }
    failures << "\n  skipped '" << path << "': " << error;
  }
  FORGE_THROW("cannot resume: '" << run_dir << "/checkpoints' has no `latest` and none of its checkpoints verifies:"
                                 << failures.str() << "\nset resume to a checkpoint's path, or choose another run.dir");
}

}  // namespace

std::string resume_checkpoint(const Recipe& r, std::string& note) {
  switch (r.resume.mode) {
    case ResumeMode::automatic: {
      const std::string latest = latest_checkpoint(r.run.dir);
      if (latest.empty()) {
        if (const std::vector<std::string> files = list_checkpoints(r.run.dir); !files.empty())
          return newest_verified(r.run.dir, files, note);
      }
      note = latest.empty() ? "resume: auto: no checkpoint in '" + r.run.dir + "/checkpoints' yet; starting at step 0"
                            : "resume: auto: continuing from '" + latest + "'";
      return latest;
    }
    case ResumeMode::path:
      FORGE_CHECK(std::filesystem::exists(r.resume.path), "resume: checkpoint '" << r.resume.path << "' does not exist");
      note = "resume: continuing from '" + r.resume.path + "'";
      return r.resume.path;
    case ResumeMode::none:
      break;
  }
  std::string latest = latest_checkpoint(r.run.dir);
  if (latest.empty()) {  // step_<N>.h5 files without `latest` are an earlier run's too
    const std::vector<std::string> files = list_checkpoints(r.run.dir);
    if (!files.empty()) latest = files.front();
  }
  FORGE_CHECK(latest.empty(), "run directory '" << r.run.dir << "' already holds checkpoints of an earlier run (latest: '"
                                                << latest << "'); set resume=auto to continue that run, or choose "
                                                << "another run.dir (or delete '" << r.run.dir
                                                << "/checkpoints') to start over");
  note.clear();
  return "";
}

CheckpointContents training_checkpoint(const Recipe& r, const nn::ModelConfig& config, const nn::Module& model,
                                       optim::Optimizer& optimizer, const TrainingState& state) {
  CheckpointContents c;
  c.model_config = config;
  c.recipe_yaml = dump(r);
  c.model = model.named_parameters();  // handles: written straight from the parameters' storage
  c.optimizer_name = r.optim.name;
  c.optimizer_step_count = optimizer.step_count();
  c.optimizer_lr = optimizer.lr();
  c.optimizer_state = optimizer.state();
  c.state = state;
  return c;
}

TrainingState restore_training(const std::string& path, const Recipe& r, const nn::ModelConfig& config,
                               nn::Module& model, optim::Optimizer& optimizer,
                               const std::function<void(CheckpointContents&)>& localize) {
  CheckpointContents c = load_checkpoint(path, /*with_optimizer=*/true);
  const std::vector<std::string> diffs = model_config_differences(c.model_config, config);
  if (!diffs.empty()) {
    std::ostringstream os;
    os << "cannot resume from '" << path << "': it holds a different model than the recipe (checkpoint vs recipe):";
    for (const std::string& d : diffs) os << "\n  " << d;
    os << "\n(to start a new run from its weights, use init_from instead of resume)";
    FORGE_THROW(os.str());
  }
  FORGE_CHECK(!c.optimizer_name.empty(), "cannot resume from '" << path << "': it holds no optimizer state "
                                                                << "(an exported or converted model?); use init_from to start from its weights");
  FORGE_CHECK(c.optimizer_name == r.optim.name, "cannot resume from '" << path << "': its optimizer state is for '"
                                                                       << c.optimizer_name << "', the recipe uses optim.name '"
                                                                       << r.optim.name << "'");
  if (localize) localize(c);
  apply_weights(model, c.model, /*strict=*/true, path);

  // Optimizer state: every entry must belong to a parameter and have its shape,
  // and every parameter must have the same kinds of state (a partial set would
  // silently restart some moments at zero).
  std::map<std::string, Shape> shapes;
  for (const auto& [name, p] : model.named_parameters()) shapes.emplace(name, p.shape());
  std::map<std::string, std::set<std::string>> kinds;
  for (const auto& [key, t] : c.optimizer_state) {
    const size_t slash = key.rfind('/');
    const std::string param = key.substr(0, slash), kind = key.substr(slash + 1);
    auto it = shapes.find(param);
    FORGE_CHECK(it != shapes.end(), "cannot resume from '" << path << "': optimizer state '/optim/" << key
                                                           << "' belongs to no parameter of the model");
    FORGE_CHECK(it->second == t.shape(), "cannot resume from '" << path << "': optimizer state '/optim/" << key
                                                                << "' has shape " << shape_str(t.shape()) << ", the parameter "
                                                                << shape_str(it->second));
    kinds[param].insert(kind);
  }
  if (!kinds.empty()) {
    const std::set<std::string>& first = kinds.begin()->second;
    for (const auto& [name, shape] : shapes) {
      auto it = kinds.find(name);
      FORGE_CHECK(it != kinds.end() && it->second == first, "cannot resume from '" << path << "': parameter '" << name
                                                                                  << "' lacks some optimizer state (/optim/"
                                                                                  << name << "/...)");
    }
  }
  optimizer.state() = std::move(c.optimizer_state);
  optimizer.set_step_count(c.optimizer_step_count);
  optimizer.set_lr(c.optimizer_lr);
  // A rollback (train/divergence_guard.h) moves the loader past the windows it skipped: ahead of the step, never behind.
  FORGE_CHECK(c.state.loader_step >= c.state.step, "cannot resume from '" << path << "': its loader position ("
                                                                          << c.state.loader_step << ") is behind its step ("
                                                                          << c.state.step << ")");
  return c.state;
}

}  // namespace forge::recipes
