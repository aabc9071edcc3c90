// The training loop (see trainer.h): where the run starts, then step + hooks.
#include "train/trainer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "checkpoint/init_from.h"
#include "checkpoint/model_shards.h"
#include "checkpoint/resume.h"
#include "monitor/metrics.h"
#include "train/sft.h"
#include "train/stop_signal.h"
#include "train/divergence_guard.h"
#include "train/run_dir_lock.h"
#include "train/train_step.h"

namespace forge::recipes {
namespace {

// Where the run starts (docs/checkpoints.md): a checkpoint to continue, or step 0
// with fresh weights or init_from's. Done before anything is written, so a bad
// checkpoint loses nothing.
// Weights, optimizer state and dropout stream from the checkpoint at `path`;
// returns the rest of its training state. Whole tensors from the file, cut to
// this rank's pieces: any layout resumes any checkpoint.
TrainingState restore_checkpoint(TrainContext& s, const std::string& path) {
  TrainingState state = restore_training(path, s.recipe, s.config, *s.model, *s.optimizer, [&](CheckpointContents& c) {
    localize(*s.model, s.partitioned, c.model, &c.optimizer_state);
  });
  s.optimizer->load_state();
  s.dropout_gen.set_state(state.dropout_seed, state.dropout_offset);
  if (s.working) s.working->refresh();  // the bf16/fp16 working copies of the loaded weights
  // A checkpoint of an fp16 run continues its loss scale; any other starts from loss_scale.initial.
  optim::LossScalerState scaling = s.scaler->state();
  if (state.loss_scaling) scaling.scale = state.loss_scale, scaling.good_steps = state.loss_scale_good_steps;
  scaling.skipped_steps = state.skipped_steps;
  s.scaler->set_state(scaling);
  return state;
}

TrainingState start_state(TrainContext& s) {
  const Recipe& r = s.recipe;
  std::string note;
  const std::string resume_from = resume_checkpoint(r, note);
  TrainingState state;
  if (!resume_from.empty()) {
    state = restore_checkpoint(s, resume_from);
    FORGE_CHECK(state.step <= s.total_steps, "cannot resume from '" << resume_from << "': it is at step " << state.step
                                                                    << ", beyond the recipe's " << s.total_steps << " steps");
  } else if (!r.init_from.path.empty()) {
    NamedWeights weights = read_weights(r.init_from.path);
    const int64_t added = adapt_init_weights(r, weights);  // sft.extend_vocab (train/sft.h)
    localize(*s.model, s.partitioned, weights, nullptr);  // this rank's pieces (tensor/pipeline parallelism)
    const InitFromReport report = apply_weights(*s.model, weights, r.init_from.strict, r.init_from.path);
    if (s.writer()) {
      if (added > 0)
        std::printf("init_from: vocabulary extended by %lld rows (mean embedding) to model.vocab_size %lld\n",
                    static_cast<long long>(added), static_cast<long long>(r.model.vocab_size));
      std::printf("init_from: %zu tensors from '%s'\n", report.loaded.size(), r.init_from.path.c_str());
      for (const std::string& skipped : report.skipped) std::printf("init_from: skipped %s\n", skipped.c_str());
    }
  }
  if (s.working && resume_from.empty()) s.working->refresh();  // the working copies of init_from's weights
  if (s.writer() && !note.empty()) std::printf("%s\n", note.c_str());
  state.dp = s.layout.dp;
  state.tp = s.layout.tp;
  state.pp = s.layout.pp;
  return state;
}

// Writes `text` to `path` through a temporary file renamed over it, checking
// every write: a full disk or a file-size limit is an error naming the file,
// never a truncated file.
void write_file_checked(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  FORGE_CHECK(fd >= 0, "cannot create '" << tmp << "': " << std::strerror(errno) << " (is run.dir writable?)");
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const int err = errno;
  ::close(fd);
  if (done < text.size() || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int why = done < text.size() ? err : errno;
    ::unlink(tmp.c_str());
    FORGE_THROW("cannot write '" << path << "': " << std::strerror(why) << " (disk full or file-size limit?)");
  }
}

// World rank 0: creates the run directory (and locks it, unless `lock` holds it
// already), writes the resolved recipe and opens the metrics log (lines an
// interrupted run logged after its last checkpoint are replaced by the
// continuation's). Other ranks: null.
std::unique_ptr<MetricsLog> open_run_dir(const TrainContext& s, int64_t step, std::unique_ptr<RunDirLock>& lock) {
  if (!s.writer()) return nullptr;
  const Recipe& r = s.recipe;
  std::error_code ec;
  std::filesystem::create_directories(r.run.dir + "/checkpoints", ec);
  FORGE_CHECK(!ec, "cannot create run directory '" << r.run.dir << "/checkpoints': " << ec.message()
                                                   << " (is run.dir writable?)");
  if (!lock) {  // a new run directory: locked before anything is written into it
    lock = std::make_unique<RunDirLock>(r.run.dir);
    FORGE_CHECK(step > 0 || list_checkpoints(r.run.dir).empty(),
                "run directory '" << r.run.dir << "' got checkpoints from another forge train while this one started; "
                                  << "run again (resume=auto continues that run)");
  }
  if (const int64_t dropped = drop_metrics_after(r.run.dir, step); dropped > 0)
    std::printf("metrics.jsonl: dropped %lld lines logged after step %lld\n", static_cast<long long>(dropped),
                static_cast<long long>(step));
  write_file_checked(r.run.dir + "/recipe.yaml", dump(r));
  return std::make_unique<MetricsLog>(r.run.dir);
}

// After max_bad_steps bad steps in a row: the weights, optimizer state and
// dropout stream of the last checkpoint, with the loader past every window
// trained since (divergence_guard.h). Collective.
TrainingState roll_back(TrainContext& s, DivergenceGuard& guard, StepHooks& hooks, const TrainingState& now,
                        TrainSummary& summary) {
  const std::string path = latest_checkpoint(s.recipe.run.dir);
  guard.begin_rollback(path, now.step);
  const TrainingState restored = restore_checkpoint(s, path);
  hooks.rewind(now.step, restored.step, summary);
  if (s.writer()) {
    std::printf("rollback: %lld bad steps in a row up to step %lld; back to '%s' (step %lld), skipping the data "
                "windows %lld-%lld trained since\n",
                static_cast<long long>(s.recipe.train.max_bad_steps), static_cast<long long>(now.step), path.c_str(),
                static_cast<long long>(restored.step), static_cast<long long>(restored.loader_step + 1),
                static_cast<long long>(now.loader_step));
    std::fflush(stdout);
  }
  const TrainingState state = DivergenceGuard::after_rollback(restored, now);
  return state;
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
  // Rank 0 writes the run directory: one forge train at a time (held until run()
  // returns). An existing one is locked before it is read; a new one once created.
  std::unique_ptr<RunDirLock> lock;
  if (s.writer() && std::filesystem::is_directory(s.recipe.run.dir)) lock = std::make_unique<RunDirLock>(s.recipe.run.dir);
  TrainingState state = start_state(s);
  std::unique_ptr<MetricsLog> metrics = open_run_dir(s, state.step, lock);
  print_banner(s, state.step);
  TrainSummary summary;
  summary.steps = state.step;
  const StopSignals signals;  // SIGTERM/SIGINT: finish this step, save, return
  StepHooks hooks(s, signals, std::move(metrics));
  DivergenceGuard guard(s.recipe, s.layout);
  while (state.step < s.total_steps) {
    // The loader is a pure function of its position, which is the step unless
    // a rollback moved it past the windows it skipped.
    const StepPlan plan{state.step, state.loader_step, &signals, guard.test_nan_due(state.loader_step)};
    StepResult result = compute_gradients(s, plan);
    clip_gradients(s, result);
    // One skip mechanism for every precision: the guard judges fp16's overflows too,
    // and the loss scaler only adjusts its scale from the same gradient norm.
    const GuardCheck check = guard.check(result, state, /*loss_scaled=*/s.scaler->enabled());
    if (s.scaler->enabled()) s.scaler->update(result.grad_norm);
    if (check.verdict == StepVerdict::apply) {
      apply_update(s, result);
      state.tokens_seen += result.tokens;
    } else {
      result.skipped = check.reason;
      result.lr = s.schedule(plan.step);  // what the update would have used
    }
    state.step = result.step;
    ++state.loader_step;
    if (hooks.after_step(result, state, summary)) break;
    if (check.verdict == StepVerdict::rollback) state = roll_back(s, guard, hooks, state, summary);
  }
  return summary;
}

}  // namespace forge::recipes
