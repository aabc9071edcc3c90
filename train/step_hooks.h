// What runs after each training step (train_step.h), each in its own small
// function, in this order:
//
//   log         every train.log_interval steps and at the end: the console
//               progress line and a metrics.jsonl / TensorBoard record
//   evaluate    every train.eval_interval steps and at the end: validation loss
//   sample      every train.sample_interval steps and at the end: a text sample
//   checkpoint  every checkpoint.interval steps (not after a step the divergence
//               guard skipped), at the end, and on a stop signal
//   stop        SIGTERM/SIGINT on any rank: stop after this step's checkpoint
//
// Only world rank 0 prints and writes; evaluate, checkpoint and stop are
// collective. Time spent in evaluate, sample and checkpoint is left out of the
// tokens/s of the next progress line.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "train/train_context.h"
#include "train/train_step.h"

namespace forge::recipes {

class MetricsLog;
class StopSignals;

struct TrainSummary {
  int64_t steps = 0;
  double last_loss = 0.0;
  double last_val_loss = -1.0;  // < 0 when never evaluated
  double tokens_per_s = 0.0;
  std::string stopped_by;  // "SIGTERM" / "SIGINT" when a signal stopped the run early (after saving), else ""
  std::vector<double> losses;  // training loss of every step (the global batch's, same on every rank)
};

// Mean loss over `steps` batches of the validation data (eval mode, no grad),
// the same to the bit under every layout; -1 without validation data. Collective.
double validation_loss(TrainContext& context, int64_t steps);

// Saves <run.dir>/checkpoints/step_<N>.h5 (rank 0), points `latest` at it and
// prunes old ones (checkpoint.keep_last). Weights or optimizer state holding
// NaN/inf are never saved (a forge::Error; `latest` keeps naming the last good
// checkpoint). Collective (sharded optimizer state, tensor/pipeline pieces
// gathered whole).
void save_training_checkpoint(TrainContext& context, const TrainingState& progress);

class StepHooks {
 public:
  // `metrics` is null on ranks other than world rank 0.
  StepHooks(TrainContext& context, const StopSignals& signals, std::unique_ptr<MetricsLog> metrics);
  ~StepHooks();

  // Runs the hooks after applied step `result`, with `progress` already counting
  // it; updates `summary`. Returns true when the run must stop now (a stop signal).
  bool after_step(const StepResult& result, const TrainingState& progress, TrainSummary& summary);
  // After a rollback from step `from` to the checkpoint of step `to`: the
  // metrics log drops the lines after `to` (the steps are trained again) and
  // `summary` the losses of the rolled-back steps.
  void rewind(int64_t from, int64_t to, TrainSummary& summary);

 private:
  using Clock = std::chrono::steady_clock;
  bool due(int64_t interval, int64_t step) const;
  void log(const StepResult& result, const TrainingState& progress, TrainSummary& summary);
  void evaluate(const StepResult& result, TrainSummary& summary);
  void sample(const StepResult& result);
  void checkpoint(const TrainingState& progress);
  void stop(const StepResult& result, TrainSummary& summary);

  TrainContext& c_;
  const StopSignals& signals_;
  std::unique_ptr<MetricsLog> metrics_;
  const Clock::time_point start_ = Clock::now();
  Clock::time_point window_start_ = start_;  // of the throughput window the next progress line reports
  int64_t window_steps_ = 0;
};

}  // namespace forge::recipes
