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
// train_step runs all three with the divergence check between the first two;
// under fp16 a step whose gradient norm is not finite is skipped instead of
// applied (the loss scale backs off; docs/mixed-precision.md).
// A caller that wants to inspect the gradients before the parameters move (a
// loss scaler, a NaN guard) calls the pieces itself and may skip apply_update:
// nothing but apply_update changes the parameters or the optimizer state.
#pragma once

#include <cstdint>

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
  bool skipped = false;    // fp16: the gradients overflowed, the update was skipped
};

// Forward and backward of step `step` (0-based) from zeroed gradients; leaves in
// every parameter's .grad the gradient of the global batch's mean loss,
// synchronised over the layout. `signals` (optional) gets its test hook called
// after the first micro-batch (train/stop_signal.h). Collective.
StepResult compute_gradients(TrainContext& context, int64_t step, const StopSignals* signals = nullptr);

// Sets result.grad_norm and scales the gradients so their global norm is at
// most optim.grad_clip (0: no clipping). Collective.
void clip_gradients(TrainContext& context, StepResult& result);

// Sets the schedule's learning rate for the step and applies the optimizer
// update (collective for ZeRO-1); sets result.lr and result.applied.
void apply_update(TrainContext& context, StepResult& result);

// compute_gradients, a forge::Error when the loss is not finite ("training
// diverged"), clip_gradients, apply_update.
StepResult train_step(TrainContext& context, int64_t step, const StopSignals* signals = nullptr);

}  // namespace forge::recipes
