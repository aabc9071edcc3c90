// One optimizer step of training, in separately callable pieces:
//
//   compute_gradients  forward and backward over the step's micro-batches (the
//                      pipeline schedule's micro-batches under pp > 1), then the
//                      gradient synchronisation: dp all-reduce or ZeRO-1
//                      reduce-scatter, and the tied embedding across stages
//   clip_gradients     the global gradient norm, clipped to optim.grad_clip
//   apply_update       the schedule's learning rate and the optimizer step, then
//                      the refresh of the bf16/fp16 working weights
//
// Under bf16/fp16 forward and backward run under the recipe's autocast policy
// (nn/mixed_precision.h); under fp16 the loss is scaled before backward and
// compute_gradients leaves the unscaled fp32 gradients (optim/loss_scaler.h).
//
// The trainer calls them in order with the divergence guard's verdict
// (divergence_guard.h) between clip_gradients and apply_update; under fp16 the
// guard also judges the loss scaler's overflows (one skip mechanism). Nothing
// but apply_update changes the parameters or the optimizer state, so a skipped
// step leaves both bitwise as they were.
#pragma once

#include <cstdint>
#include <string>

#include "train/train_context.h"

namespace forge::recipes {

class StopSignals;

struct StepResult {
  int64_t step = 0;        // the step's number, 1-based (steps completed once applied)
  double loss = 0.0;       // mean training loss of the global batch (the same on every rank)
  double grad_norm = 0.0;  // global gradient norm before clipping (set by clip_gradients)
  double lr = 0.0;         // learning rate of the update (set by apply_update)
  int64_t tokens = 0;      // tokens the step trained on, over all dp ranks
  bool applied = false;    // apply_update ran: parameters and optimizer state moved
  std::string skipped;     // why the divergence guard skipped the step; "" when not skipped
};

struct StepPlan {
  int64_t step = 0;    // the optimizer step, 0-based (learning rate, dropout, test hooks)
  int64_t window = 0;  // the loader position it trains on: `step` unless a rollback skipped windows
  const StopSignals* signals = nullptr;  // its test hook is called after the first micro-batch (stop_signal.h)
  bool nan_gradients = false;            // test hook FORGE_TEST_NAN_AT: the step's gradients become NaN
};

// Forward and backward of `plan.step` from zeroed gradients; leaves in every
// parameter's .grad the gradient of the global batch's mean loss, synchronised
// over the layout. Collective.
StepResult compute_gradients(TrainContext& context, const StepPlan& plan);

// Sets result.grad_norm and scales the gradients so their global norm is at
// most optim.grad_clip (0: no clipping). Collective.
void clip_gradients(TrainContext& context, StepResult& result);

// Sets the schedule's learning rate for the step and applies the optimizer
// update (collective for ZeRO-1); sets result.lr and result.applied.
void apply_update(TrainContext& context, StepResult& result);

}  // namespace forge::recipes
