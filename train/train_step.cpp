// The training step's pieces (see train_step.h).
#include "train/train_step.h"

#include <limits>

#include "autograd/ops.h"
#include "nn/model_family.h"
#include "optim/grad_norm.h"
#include "train/rank_values.h"
#include "train/stop_signal.h"

namespace forge::recipes {
StepResult compute_gradients(TrainContext& s, const StepPlan& plan) {
  const int64_t step = plan.step;
  const StopSignals* signals = plan.signals;
  const int64_t accum = s.recipe.data.grad_accum;
  const int dp = s.layout.dp;
  s.model->train();
  s.flat->zero_grads();
  const nn::Autocast autocast(s.autocast_policy());  // forward and backward (activation checkpointing recomputes in it)
  const double loss_scale = s.scaler->scale();      // fp16: small gradients stay representable
  nn::ForwardContext ctx;
  ctx.training = true;
  ctx.dropout_gen = &s.dropout_gen;
  double loss_sum = 0.0;
  // The micro-steps of gradient accumulation; under pipeline parallelism they are
  // the pipeline's micro-batches, each stage running its part (distributed/pipeline.h).
  auto micro_forward = [&](int64_t a, const Tensor& input) {
    data::Batch b = s.train_data->batch(plan.window, a);
    ctx.positions = b.positions;  // packed SFT rows; undefined otherwise
    ctx.doc_ids = b.doc_ids;
    Tensor out = s.model->forward(s.model->first_stage() ? b.inputs : input, ctx);
    if (!s.model->last_stage()) return out;
    Tensor loss = s.model->loss_of(out, b.targets);
    // dp ranks average gradients, so each rank weighs its mean loss by its share of
    // the global batch's trained tokens (1 unless a loss mask makes the shares unequal).
    const double weight = dp > 1 ? dp_loss_weight(s.layout, b.targets) : 1.0;
    loss_sum += weight * loss.item();
    const double scale = weight / static_cast<double>(accum) * loss_scale;
    return scale != 1.0 ? ops::mul_scalar(loss, scale) : loss;
  };
  if (s.layout.pp == 1) {
    for (int64_t a = 0; a < accum; ++a) {
      Tensor loss = micro_forward(a, Tensor());
      if (s.reducer) s.reducer->set_sync(a + 1 == accum);
      loss.backward();
      if (a == 0 && signals) signals->test_hook(step + 1);
    }
  } else {
    distributed::PipelineStep ps;
    ps.micro_batches = accum;
    ps.activation_shape = [&](int64_t a) {
      const Tensor ids = s.train_data->batch(plan.window, a).inputs;
      return Shape{ids.size(0), ids.size(1), s.config.n_embd};
    };
    ps.forward = micro_forward;
    ps.before_backward = [&](int64_t a) {
      if (s.reducer) s.reducer->set_sync(a + 1 == accum);
    };
    distributed::run_pipeline(s.pp_schedule, *s.layout.pp_group, ps);
    if (signals) signals->test_hook(step + 1);
  }
  if (s.reducer) s.reducer->finish();
  if (s.tied_group) {  // a tied embedding: the first stage's input and the last stage's head gradients
    Tensor g = s.model->parameter(nn::family_spec(s.config.family).embedding).grad();
    s.tied_group->all_reduce(g, distributed::ReduceOp::sum)->wait();
  }
  Tensor grads = s.flat->buffers().at(DType::f32).grads;
  // Test hook FORGE_TEST_NAN_AT (divergence_guard.h): NaN on every rank after the
  // dp all-reduce, before unscaling and ZeRO's reduce-scatter, as an overflow would
  // leave them; the loss stays finite.
  if (plan.nan_gradients) grads.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  s.scaler->unscale({grads});  // exact: the scale is a power of two
  if (s.zero) s.zero->reduce_gradients();
  StepResult result;
  result.step = step + 1;
  result.loss = from_last_stage(s.layout, global_mean(s.layout, loss_sum) / static_cast<double>(accum));
  result.tokens = s.recipe.tokens_per_step(dp);
  return result;
}

void clip_gradients(TrainContext& s, StepResult& result) {
  const double max_norm = s.recipe.optim.grad_clip;
  if (s.zero) {
    result.grad_norm = s.zero->clip_grad_norm(max_norm);
  } else if (s.partitioned) {
    result.grad_norm = optim::clip_grad_norm(s.model->parameters(), s.counted, max_norm, *s.model_group);
  } else {
    result.grad_norm = optim::clip_grad_norm(s.model->parameters(), max_norm);
  }
}

void apply_update(TrainContext& s, StepResult& result) {
  result.lr = s.schedule(result.step - 1);
  s.optimizer->set_lr(result.lr);
  s.optimizer->step();
  if (s.working) s.working->refresh();  // the next forward reads the updated weights
  result.applied = true;
}

}  // namespace forge::recipes
