// The step-end hooks, validation loss and training checkpoints (see step_hooks.h).
#include "train/step_hooks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "autograd/grad_mode.h"
#include "checkpoint/model_shards.h"
#include "checkpoint/resume.h"
#include "monitor/metrics.h"
#include "train/rank_values.h"
#include "train/stop_signal.h"

namespace forge::recipes {

double validation_loss(TrainContext& s, int64_t steps) {
  if (!s.val_data) return -1.0;
  NoGradGuard no_grad;
  const nn::Autocast autocast(s.autocast_policy());  // evaluated in the training precision
  nn::ForwardContext ctx;
  ctx.training = false;
  const int64_t n = std::min(steps, std::max<int64_t>(1, s.val_data->num_windows() / s.recipe.data.batch_size));
  // The batches are dealt round-robin to the data-parallel replicas. Each
  // batch's loss goes to its own slot (a float pair, so the all-reduce adds
  // only zeros to it) and the slots are summed in batch order: the same val
  // loss, to the bit, for every layout.
  std::vector<int64_t> mine;
  for (int64_t i = s.layout.dp_rank; i < n; i += s.layout.dp) mine.push_back(i);
  std::vector<float> slots(static_cast<size_t>(2 * n), 0.0f);
  // Each batch through the pipeline's stages (one stage without pipeline parallelism).
  distributed::PipelineStep ps;
  ps.micro_batches = static_cast<int64_t>(mine.size());
  ps.activation_shape = [&](int64_t j) {
    const Tensor ids = s.val_data->batch(mine[static_cast<size_t>(j)], 0).inputs;
    return Shape{ids.size(0), ids.size(1), s.config.n_embd};
  };
  ps.forward = [&](int64_t j, const Tensor& input) {
    const int64_t i = mine[static_cast<size_t>(j)];
    data::Batch b = s.val_data->batch(i, 0);
    ctx.positions = b.positions;  // packed SFT rows; undefined otherwise
    ctx.doc_ids = b.doc_ids;
    Tensor out = s.model->forward(s.model->first_stage() ? b.inputs : input, ctx);
    if (s.model->last_stage()) to_float_pair(s.model->loss_of(out, b.targets).item(), &slots[static_cast<size_t>(2 * i)]);
    return out;
  };
  if (s.layout.pp == 1) {
    for (int64_t j = 0; j < ps.micro_batches; ++j) ps.forward(j, Tensor());
  } else {
    distributed::run_pipeline_forward(*s.layout.pp_group, ps);
  }
  if (s.layout.dp > 1) {
    Tensor t = Tensor::from_vector(slots, {2 * n});
    s.layout.dp_group->all_reduce(t, distributed::ReduceOp::sum)->wait();
    std::copy(t.data<float>(), t.data<float>() + 2 * n, slots.begin());
  }
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total += float_pair_value(&slots[static_cast<size_t>(2 * i)]);
  return from_last_stage(s.layout, total / static_cast<double>(n));
}

namespace {

// The name of the first tensor holding NaN or inf, "" when all are finite.
std::string first_non_finite(const CheckpointContents& c) {
  auto finite = [](const Tensor& t) {
    const Tensor x = t.is_contiguous() ? t : t.detach().contiguous();
    const float* p = x.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i)
      if (!std::isfinite(p[i])) return false;
    return true;
  };
  for (const auto& [name, t] : c.model)
    if (!finite(t)) return "/model/" + name;
  for (const auto& [key, t] : c.optimizer_state)
    if (!finite(t)) return "/optim/" + key;
  return "";
}

}  // namespace

void save_training_checkpoint(TrainContext& s, const TrainingState& progress) {
  const Recipe& r = s.recipe;
  s.optimizer->gather_state();  // collective: whole state on every rank for sharded optimizers
  // Tensor/pipeline parallel: whole tensors gathered onto rank 0 (collective), so
  // the checkpoint does not depend on the layout (checkpoint/model_shards.h).
  WholeModel whole;
  if (s.partitioned) whole = gather_whole_model(s.layout, *s.model, s.optimizer->state());
  if (!s.writer()) return;
  TrainingState state = progress;
  state.dropout_seed = s.dropout_gen.seed();
  state.dropout_offset = s.dropout_gen.offset();
  state.loss_scaling = s.scaler->enabled();
  state.loss_scale = s.scaler->state().scale;
  state.loss_scale_good_steps = s.scaler->state().good_steps;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string path = checkpoint_path(r.run.dir, state.step);
  CheckpointContents contents = training_checkpoint(r, s.config, *s.model, *s.optimizer, state);
  if (s.partitioned) {
    contents.model = std::move(whole.params);
    contents.optimizer_state = std::move(whole.optimizer_state);
  }
  const std::string bad = first_non_finite(contents);
  FORGE_CHECK(bad.empty(), "not saving checkpoint '" << path << "': '" << bad << "' holds NaN or inf (the weights "
                                                      << "diverged; `latest` still names the last good checkpoint)");
  save_checkpoint(path, contents);
  write_latest(r.run.dir, state.step);
  prune_checkpoints(r.run.dir, r.checkpoint.keep_last);
  std::printf("checkpoint: %s (%.1f s)\n", path.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::fflush(stdout);
}

StepHooks::StepHooks(TrainContext& context, const StopSignals& signals, std::unique_ptr<MetricsLog> metrics)
    : c_(context), signals_(signals), metrics_(std::move(metrics)) {}

StepHooks::~StepHooks() = default;

bool StepHooks::due(int64_t interval, int64_t step) const {
  return step == c_.total_steps || (interval > 0 && step % interval == 0);
}

bool StepHooks::after_step(const StepResult& result, const TrainingState& progress, TrainSummary& summary) {
  const Recipe& r = c_.recipe;
  ++window_steps_;
  summary.steps = result.step;
  summary.last_loss = result.loss;
  summary.losses.push_back(result.loss);
  if (c_.writer() && !result.skipped.empty()) {
    std::printf("step %6lld | skipped: %s (%lld bad in a row, %lld skipped so far)", static_cast<long long>(result.step),
                result.skipped.c_str(), static_cast<long long>(progress.bad_steps),
                static_cast<long long>(progress.skipped_steps));
    if (c_.scaler->enabled()) std::printf(" | loss scale now %g", c_.scaler->scale());
    std::printf("\n");
  }
  if (c_.writer() && due(r.train.log_interval, result.step)) log(result, progress, summary);
  if (c_.val_data && r.train.eval_interval > 0 && due(r.train.eval_interval, result.step)) evaluate(result, summary);
  if (c_.sampler && c_.writer() && due(r.train.sample_interval, result.step)) sample(result);
  const bool stopping = any_rank(c_.layout, signals_.received() != 0);
  // After a bad step (divergence guard) the weights are the last applied step's: its periodic
  // checkpoint would only push the checkpoint from before the divergence out of keep_last.
  const bool periodic = due(r.checkpoint.interval, result.step) &&
                        (progress.bad_steps == 0 ||
                         (result.step == c_.total_steps && progress.bad_steps < r.train.max_bad_steps));
  if (stopping || periodic) checkpoint(progress);
  if (stopping) stop(result, summary);
  return stopping;
}

void StepHooks::log(const StepResult& result, const TrainingState& progress, TrainSummary& summary) {
  const Recipe& r = c_.recipe;
  const auto now = Clock::now();
  const double dt = std::chrono::duration<double>(now - window_start_).count();
  const double tps = static_cast<double>(window_steps_ * result.tokens) / std::max(dt, 1e-9);
  // Achieved model FLOP/s per device (shown even when the peak is unknown) over
  // the device's peak (train.peak_flops is per device).
  const double flops_per_token = c_.config.flops_per_token(c_.whole_parameters, r.data.seq_len);
  const double flops_per_device = tps * flops_per_token / static_cast<double>(c_.layout.world->size());
  const double mfu = r.train.peak_flops > 0 ? flops_per_device / r.train.peak_flops : 0.0;
  char mfu_text[32];
  if (r.train.peak_flops > 0) std::snprintf(mfu_text, sizeof mfu_text, "%.1f%%", 100.0 * mfu);
  else std::snprintf(mfu_text, sizeof mfu_text, "n/a");  // unknown peak: no made-up figure
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = elapsed / static_cast<double>(result.step) * static_cast<double>(c_.total_steps - result.step);
  char scale_text[64] = "";  // fp16: the loss scale; any precision: the steps skipped so far
  int used = 0;
  if (c_.scaler->enabled()) used = std::snprintf(scale_text, sizeof scale_text, " | loss scale %g", c_.scaler->scale());
  if (progress.skipped_steps > 0)
    std::snprintf(scale_text + used, sizeof scale_text - static_cast<size_t>(used), " | skipped %lld",
                  static_cast<long long>(progress.skipped_steps));
  std::printf("step %6lld/%lld | loss %.4f | lr %.3e | grad norm %.3f | %.0f tok/s | %.1f GFLOP/s | mfu %s%s | eta %s\n",
              static_cast<long long>(result.step), static_cast<long long>(c_.total_steps), result.loss, result.lr,
              result.grad_norm, tps, flops_per_device * 1e-9, mfu_text, scale_text, format_duration(eta).c_str());
  std::fflush(stdout);
  std::vector<std::pair<std::string, double>> record = {
      {"step", double(result.step)}, {"loss", result.loss}, {"lr", result.lr}, {"grad_norm", result.grad_norm},
      {"tokens", double(progress.tokens_seen)}, {"tokens_per_s", tps}, {"mfu", mfu}};
  if (c_.scaler->enabled()) record.push_back({"loss_scale", c_.scaler->scale()});
  record.push_back({"skipped", double(progress.skipped_steps)});
  metrics_->write(record);
  summary.tokens_per_s = tps;
  window_start_ = Clock::now();
  window_steps_ = 0;
}

void StepHooks::rewind(int64_t from, int64_t to, TrainSummary& summary) {
  const size_t undone = std::min(summary.losses.size(), static_cast<size_t>(from - to));
  summary.losses.resize(summary.losses.size() - undone);
  summary.steps = to;
  if (!metrics_) return;
  metrics_.reset();  // closed before its file is rewritten
  drop_metrics_after(c_.recipe.run.dir, to);
  metrics_ = std::make_unique<MetricsLog>(c_.recipe.run.dir);
}

void StepHooks::evaluate(const StepResult& result, TrainSummary& summary) {
  const double val = validation_loss(c_, c_.recipe.train.eval_steps);
  if (c_.writer()) {
    std::printf("step %6lld | val loss %.4f\n", static_cast<long long>(result.step), val);
    metrics_->write({{"step", double(result.step)}, {"val_loss", val}});
  }
  summary.last_val_loss = val;
  window_start_ = Clock::now();  // evaluation time is not training throughput
}

void StepHooks::sample(const StepResult& result) {
  std::printf("step %6lld | sample: %s\n", static_cast<long long>(result.step), c_.sampler->sample(*c_.model).c_str());
  std::fflush(stdout);
  window_start_ = Clock::now();  // sampling time is not training throughput
}

void StepHooks::checkpoint(const TrainingState& progress) {
  save_training_checkpoint(c_, progress);
  window_start_ = Clock::now();  // saving time is not training throughput
}

void StepHooks::stop(const StepResult& result, TrainSummary& summary) {
  summary.stopped_by = signal_name(signals_.received() ? signals_.received() : SIGTERM);
  if (c_.writer())
    std::printf("%s: stopped after step %lld and saved a checkpoint; resume=auto continues the run\n",
                summary.stopped_by.c_str(), static_cast<long long>(result.step));
}

}  // namespace forge::recipes
