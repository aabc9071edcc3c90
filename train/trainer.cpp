// The training loop (see trainer.h): where the run starts, then step + hooks.
#include "train/trainer.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "checkpoint/init_from.h"
#include "checkpoint/model_shards.h"
#include "checkpoint/resume.h"
#include "monitor/metrics.h"
#include "train/sft.h"
#include "train/stop_signal.h"
#include "train/train_step.h"

namespace forge::recipes {
namespace {

// Where the run starts (docs/checkpoints.md): a checkpoint to continue, or step 0
// with fresh weights or init_from's. Done before anything is written, so a bad
// checkpoint loses nothing.
TrainingState start_state(TrainContext& s) {
  const Recipe& r = s.recipe;
  std::string note;
  const std::string resume_from = resume_checkpoint(r, note);
  TrainingState state;
  if (!resume_from.empty()) {
    // Whole tensors from the file, cut to this rank's pieces: any layout resumes any checkpoint.
    state = restore_training(resume_from, r, s.config, *s.model, *s.optimizer, [&](CheckpointContents& c) {
      localize(*s.model, s.partitioned, c.model, &c.optimizer_state);
    });
    s.optimizer->load_state();
    s.dropout_gen.set_state(state.dropout_seed, state.dropout_offset);
    FORGE_CHECK(state.step <= s.total_steps, "cannot resume from '" << resume_from << "': it is at step " << state.step
                                                                    << ", beyond the recipe's " << s.total_steps << " steps");
  } else if (!r.init_from.path.empty()) {
    NamedWeights weights = read_weights(r.init_from.path);
    const int64_t added = adapt_init_weights(r, weights);  // sft.extend_vocab (train/sft.h)
    localize(*s.model, s.partitioned, weights, nullptr);  // this rank's pieces (tensor/pipeline parallelism)
    const InitFromReport report = apply_weights(*s.model, weights, r.init_from.strict, r.init_from.path);
    if (s.writer()) {
      if (added > 0)
        std::printf("init_from: vocabulary extended by %lld rows (mean embedding) to model.vocab_size %d\n",
                    static_cast<long long>(added), r.model.vocab_size);
      std::printf("init_from: %zu tensors from '%s'\n", report.loaded.size(), r.init_from.path.c_str());
      for (const std::string& skipped : report.skipped) std::printf("init_from: skipped %s\n", skipped.c_str());
    }
  }
  if (s.working) s.working->refresh();  // the working copies of whatever weights were loaded
  if (!resume_from.empty()) {
    // A checkpoint of an fp16 run continues its loss scale; any other starts from loss_scale.initial.
    optim::LossScalerState scaling = s.scaler->state();
    if (state.loss_scaling) scaling.scale = state.loss_scale, scaling.good_steps = state.loss_scale_good_steps;
    scaling.skipped_steps = state.skipped_steps;
    s.scaler->set_state(scaling);
  }
  if (s.writer() && !note.empty()) std::printf("%s\n", note.c_str());
  state.dp = s.layout.dp;
  state.tp = s.layout.tp;
  state.pp = s.layout.pp;
  return state;
}

// World rank 0: creates the run directory, writes the resolved recipe and opens
// the metrics log (lines an interrupted run logged after its last checkpoint are
// replaced by the continuation's). Other ranks: null.
std::unique_ptr<MetricsLog> open_run_dir(const TrainContext& s, int64_t step) {
  if (!s.writer()) return nullptr;
  const Recipe& r = s.recipe;
  std::error_code ec;
  std::filesystem::create_directories(r.run.dir + "/checkpoints", ec);
  FORGE_CHECK(!ec, "cannot create run directory '" << r.run.dir << "/checkpoints': " << ec.message()
                                                   << " (is run.dir writable?)");
  if (const int64_t dropped = drop_metrics_after(r.run.dir, step); dropped > 0)
    std::printf("metrics.jsonl: dropped %lld lines logged after step %lld\n", static_cast<long long>(dropped),
                static_cast<long long>(step));
  std::ofstream out(r.run.dir + "/recipe.yaml");
  FORGE_CHECK(out.good(), "cannot write '" << r.run.dir << "/recipe.yaml' (is run.dir writable?)");
  out << dump(r);
  return std::make_unique<MetricsLog>(r.run.dir);
}

void print_banner(const TrainContext& s, int64_t step) {
  if (!s.writer()) return;
  const Recipe& r = s.recipe;
  std::printf("model: %s, %lld parameters; %lld steps of %lld tokens; layout %s\n", nn::family_name(s.config.family),
              static_cast<long long>(s.whole_parameters), static_cast<long long>(s.total_steps),
              static_cast<long long>(r.tokens_per_step(s.layout.dp)), s.layout.str().c_str());
  if (r.precision != Precision::fp32)
    std::printf("precision: %s compute, fp32 master weights%s; this build's CPU GEMM has no native 16-bit path "
                "(OpenBLAS without sbgemm): 16-bit operands are widened to fp32\n",
                to_string(r.precision), r.precision == Precision::fp16 ? ", dynamic loss scaling" : "");
  if (r.train.peak_flops <= 0)
    std::printf("mfu: n/a until train.peak_flops gives one device's peak FLOP/s (model FLOP/s per device are shown)\n");
  if (s.partitioned && !r.data.tokenizer.empty())
    std::printf("samples: not printed (the model is split over tensor/pipeline-parallel ranks)\n");
  if (step == s.total_steps) std::printf("the run is already complete (%lld steps)\n", static_cast<long long>(step));
}

}  // namespace

Trainer::Trainer(Recipe recipe) : Trainer(std::move(recipe), std::make_shared<distributed::SingleProcessGroup>()) {}

Trainer::Trainer(Recipe recipe, std::shared_ptr<distributed::ProcessGroup> world)
    : s_(make_train_context(std::move(recipe), std::move(world))) {}

Trainer::~Trainer() = default;

const nn::TransformerLM& Trainer::model() const { return *s_->model; }

std::vector<std::pair<std::string, Tensor>> Trainer::whole_weights() {
  TrainContext& s = *s_;
  if (!s.partitioned) return s.writer() ? s.model->named_parameters() : std::vector<std::pair<std::string, Tensor>>{};
  return gather_whole_model(s.layout, *s.model, {}).params;
}

double Trainer::evaluate(int64_t steps) { return validation_loss(*s_, steps); }

TrainSummary Trainer::run() {
  TrainContext& s = *s_;
  TrainingState state = start_state(s);
  std::unique_ptr<MetricsLog> metrics = open_run_dir(s, state.step);
  print_banner(s, state.step);
  TrainSummary summary;
  summary.steps = state.step;
  const StopSignals signals;  // SIGTERM/SIGINT: finish this step, save, return
  StepHooks hooks(s, signals, std::move(metrics));
  for (int64_t step = state.step; step < s.total_steps; ++step) {
    const StepResult result = train_step(s, step, &signals);
    state.step = state.loader_step = result.step;  // the loader is a pure function of the step
    state.tokens_seen += result.tokens;
    if (hooks.after_step(result, state, summary)) break;
  }
  return summary;
}

}  // namespace forge::recipes
