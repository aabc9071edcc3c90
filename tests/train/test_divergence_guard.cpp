// DivergenceGuard's verdicts on one process: non-finite loss or gradient norm,
// loss spikes, max_bad_steps in a row, abort, the loss scaler's overflow, the
// rollback bookkeeping and the FORGE_TEST_NAN_AT parser. The guard through the
// binary (bitwise skip, rollback, exact resume) is tests/e2e/test_divergence_guard.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "distributed/process_group.h"
#include "train/divergence_guard.h"

namespace forge::recipes {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

distributed::Layout one_process() {
  distributed::Layout layout;
  layout.world = std::make_shared<distributed::SingleProcessGroup>();
  return layout;
}

StepResult step_result(int64_t step, double loss, double grad_norm = 1.0) {
  StepResult r;
  r.step = step;
  r.loss = loss;
  r.grad_norm = grad_norm;
  return r;
}

Recipe recipe_with(int64_t max_bad_steps, double spike_zscore = 0.0, int64_t spike_window = 4) {
  Recipe r;
  r.train.max_bad_steps = max_bad_steps;
  r.train.spike_zscore = spike_zscore;
  r.train.spike_window = spike_window;
  return r;
}

TEST(DivergenceGuard, SkipsNonFiniteLossAndGradientNormThenRollsBack) {
  const distributed::Layout layout = one_process();
  DivergenceGuard guard(recipe_with(3), layout);
  TrainingState state;
  EXPECT_EQ(guard.check(step_result(1, 2.0), state).verdict, StepVerdict::apply);
  GuardCheck c = guard.check(step_result(2, kNaN, kNaN), state);
  EXPECT_EQ(c.verdict, StepVerdict::skip);
  EXPECT_EQ(c.reason, "loss is nan");
  // A finite loss with a non-finite gradient norm is just as bad.
  c = guard.check(step_result(3, 2.0, kInf), state);
  EXPECT_EQ(c.verdict, StepVerdict::skip);
  EXPECT_NE(c.reason.find("gradient norm is inf"), std::string::npos) << c.reason;
  EXPECT_EQ(state.bad_steps, 2);
  EXPECT_EQ(guard.check(step_result(4, 2.0, kNaN), state).verdict, StepVerdict::rollback);
  EXPECT_EQ(state.skipped_steps, 3);
  // A good step ends the run of bad ones; the skipped count stays.
  EXPECT_EQ(guard.check(step_result(5, 2.0), state).verdict, StepVerdict::apply);
  EXPECT_EQ(state.bad_steps, 0);
  EXPECT_EQ(state.skipped_steps, 3);
  EXPECT_EQ(guard.check(step_result(6, kInf), state).verdict, StepVerdict::skip);
}

TEST(DivergenceGuard, AbortNamesTheStepAndSuggestsGradClipOnlyWhenOff) {
  const distributed::Layout layout = one_process();
  Recipe r = recipe_with(3);
  r.train.on_bad_step = BadStepAction::abort;
  r.optim.grad_clip = 1.0;
  TrainingState state;
  try {
    DivergenceGuard(r, layout).check(step_result(7, 2.0, kNaN), state);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("training diverged at step 7: gradient norm is nan"), std::string::npos) << what;
    EXPECT_NE(what.find("lower optim.lr"), std::string::npos) << what;
    EXPECT_EQ(what.find("grad_clip"), std::string::npos) << what;  // it is on already
  }
  r.optim.grad_clip = 0.0;
  try {
    DivergenceGuard(r, layout).check(step_result(7, kNaN), state);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("enable optim.grad_clip"), std::string::npos) << e.what();
  }
}

TEST(DivergenceGuard, LossSpikeOverTheTrailingWindowIsABadStep) {
  const distributed::Layout layout = one_process();
  DivergenceGuard guard(recipe_with(5, /*spike_zscore=*/3.0, /*spike_window=*/4), layout);
  TrainingState state;
  // Until the window is full nothing is a spike.
  EXPECT_EQ(guard.check(step_result(1, 9.0), state).verdict, StepVerdict::apply);
  for (int64_t s = 2; s <= 4; ++s) EXPECT_EQ(guard.check(step_result(s, 3.0 + 0.1 * s), state).verdict, StepVerdict::apply);
  // Window: 9.0, 3.2, 3.3, 3.4; 3.5 is well inside it, 20 is not.
  EXPECT_EQ(guard.check(step_result(5, 3.5), state).verdict, StepVerdict::apply);
  ASSERT_EQ(state.recent_losses.size(), 4u);
  EXPECT_DOUBLE_EQ(state.recent_losses.front(), 3.2);  // the oldest left the window
  const GuardCheck c = guard.check(step_result(6, 20.0), state);
  EXPECT_EQ(c.verdict, StepVerdict::skip);
  EXPECT_NE(c.reason.find("loss spike"), std::string::npos) << c.reason;
  EXPECT_EQ(state.recent_losses.size(), 4u);  // a spike does not enter the window
  // Falling losses are never spikes.
  EXPECT_EQ(guard.check(step_result(7, 0.1), state).verdict, StepVerdict::apply);
}

TEST(DivergenceGuard, LossScalerOverflowIsSkippedButNotABadStep) {
  const distributed::Layout layout = one_process();
  DivergenceGuard guard(recipe_with(1), layout);
  TrainingState state;
  const GuardCheck c = guard.check(step_result(1, 2.0, kInf), state, /*loss_scaled=*/true);
  EXPECT_EQ(c.verdict, StepVerdict::skip);
  EXPECT_EQ(state.skipped_steps, 1);
  EXPECT_EQ(state.bad_steps, 0);
  // A non-finite loss is divergence even with a scaler.
  EXPECT_EQ(guard.check(step_result(2, kNaN, kNaN), state, true).verdict, StepVerdict::rollback);
}

TEST(DivergenceGuard, RollsBackToACheckpointOnlyOnce) {
  const distributed::Layout layout = one_process();
  DivergenceGuard guard(recipe_with(2), layout);
  EXPECT_THROW(
      {
        try {
          guard.begin_rollback("", 3);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("no checkpoint to roll back to"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
  guard.begin_rollback("run/checkpoints/step_4.h5", 7);
  guard.begin_rollback("run/checkpoints/step_8.h5", 11);  // a newer checkpoint: fine
  try {
    guard.begin_rollback("run/checkpoints/step_8.h5", 11);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("once already"), std::string::npos) << e.what();
  }
  TrainingState restored, before;
  restored.step = restored.loader_step = 8;
  restored.bad_steps = 1;
  before.step = 11;
  before.loader_step = 13;
  before.skipped_steps = 4;
  const TrainingState after = DivergenceGuard::after_rollback(restored, before);
  EXPECT_EQ(after.step, 8);
  EXPECT_EQ(after.loader_step, 13);  // past every window trained since the checkpoint
  EXPECT_EQ(after.skipped_steps, 4);
  EXPECT_EQ(after.bad_steps, 0);
}

TEST(DivergenceGuard, TestHookParsesStepsAndRanges) {
  const distributed::Layout layout = one_process();
  ::setenv("FORGE_TEST_NAN_AT", "3,7-9", 1);
  DivergenceGuard guard(recipe_with(2), layout);
  ::unsetenv("FORGE_TEST_NAN_AT");
  // Windows are 0-based loader positions; the hook's numbers are 1-based steps.
  EXPECT_FALSE(guard.test_nan_due(1));
  EXPECT_TRUE(guard.test_nan_due(2));
  EXPECT_FALSE(guard.test_nan_due(5));
  for (int64_t w = 6; w <= 8; ++w) EXPECT_TRUE(guard.test_nan_due(w));
  EXPECT_FALSE(guard.test_nan_due(9));
  ::setenv("FORGE_TEST_NAN_AT", "3,x", 1);
  EXPECT_THROW(DivergenceGuard(recipe_with(2), layout), Error);
  ::unsetenv("FORGE_TEST_NAN_AT");
}

}  // namespace
}  // namespace forge::recipes
