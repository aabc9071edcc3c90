// The divergence guard: the one place that decides whether a training step's
// update may be applied. A step is bad when its loss or its global gradient
// norm is not finite, or (with train.spike_zscore > 0) when its loss is a
// spike: more than spike_zscore standard deviations above the mean loss of the
// last train.spike_window applied steps. A bad step is skipped (apply_update
// is not called, so the weights and the optimizer state stay bitwise as they
// were) and counted; after train.max_bad_steps bad steps in a row the verdict
// is a rollback to the last checkpoint (the trainer restores it and moves the
// data loader past the windows trained since); a second rollback to the same
// checkpoint is an error. train.on_bad_step: abort makes the first bad step an
// error instead. docs/trainer.md ("Divergence guard") has the details and how
// the fp16 loss scaler plugs in.
//
// Every rank reaches the same verdict: the loss is the same double on every
// rank (rank_values.h), the gradient norm is all-reduced, and the
// non-finite flag is OR-ed over the ranks once more.
//
// Test hook: FORGE_TEST_NAN_AT="N[,N...]" or "A-B" makes the gradients of the
// step that trains data window N (1-based; the step's own number unless a
// rollback skipped windows) NaN, so tests drive the guard through the binary.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "distributed/layout.h"
#include "recipes/recipe.h"
#include "train/train_step.h"

namespace forge::recipes {

enum class StepVerdict {
  apply,     // a good step: apply the update
  skip,      // a bad step: leave weights and optimizer state as they are
  rollback,  // the max_bad_steps-th bad step in a row: skip it and roll back to the last checkpoint
};

struct GuardCheck {
  StepVerdict verdict = StepVerdict::apply;
  std::string reason;  // why the step is bad ("gradient norm is nan"); "" when applied
};

class DivergenceGuard {
 public:
  DivergenceGuard(const Recipe& recipe, const distributed::Layout& layout);

  // Judges a step whose gradients are computed and clipped (result.loss and
  // result.grad_norm set) and updates the guard's fields of `state`
  // (skipped_steps, bad_steps, recent_losses). With `loss_scaled` (fp16 with a
  // dynamic loss scaler), non-finite gradients under a finite loss are an
  // overflow of the scale: the step is skipped and counted, but it is not a bad
  // step (the scaler lowers the scale instead). Throws forge::Error for a bad
  // step under train.on_bad_step: abort. Collective.
  GuardCheck check(const StepResult& result, TrainingState& state, bool loss_scaled = false);

  // Called before rolling back to the checkpoint at `path` after `check` said
  // so at step `at_step`; an error when the run already rolled back to that
  // checkpoint once, or when there is none (`path` empty).
  void begin_rollback(const std::string& path, int64_t at_step);

  // The guard's state after a rollback: `restored` is the checkpoint's state,
  // `before` the state at the bad step. The loader continues where it was (past
  // every window trained since the checkpoint), the skipped count keeps counting.
  static TrainingState after_rollback(TrainingState restored, const TrainingState& before);

  // FORGE_TEST_NAN_AT: whether the step training 0-based loader position `window` gets NaN gradients.
  bool test_nan_due(int64_t window) const;

 private:
  GuardCheck bad_step(const std::string& reason, int64_t step, TrainingState& state) const;
  std::string spike(double loss, const std::vector<double>& recent) const;

  TrainConfig options_;
  double grad_clip_;
  const distributed::Layout& layout_;
  std::string rolled_back_to_;                        // the checkpoint last rolled back to
  std::vector<std::pair<int64_t, int64_t>> nan_at_;  // FORGE_TEST_NAN_AT ranges of 1-based windows
};

}  // namespace forge::recipes
