// Mixed precision end to end below the trainer: working weights (fp32 masters,
// 16-bit copies, gradients into fp32), the autocast policy of the layers, tiny
// GPT-2 and Llama trained 200 steps in bf16 and fp16 against the fp32 loss
// curve, and the fp16 loss scaler skipping a step with an injected inf.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "autograd/ops.h"
#include "nn/flat_parameters.h"
#include "nn/mixed_precision.h"
#include "nn/transformer.h"
#include "optim/loss_scaler.h"
#include "optim/optimizer.h"

namespace forge {
namespace {

// A batch of a learnable stream: each next token follows a fixed permutation of
// the previous one with probability 3/4, else is uniform (loss floor ~1.6 nats).
std::pair<Tensor, Tensor> batch(Generator& gen, int64_t B, int64_t T, int64_t V) {
  std::vector<int64_t> perm(static_cast<size_t>(V));
  for (int64_t i = 0; i < V; ++i) perm[i] = (i * 37 + 11) % V;
  std::vector<int64_t> toks(static_cast<size_t>(B * (T + 1)));
  for (int64_t b = 0; b < B; ++b) {
    int64_t t = static_cast<int64_t>(gen.next_uniform() * double(V)) % V;
    for (int64_t i = 0; i <= T; ++i) {
      toks[b * (T + 1) + i] = t;
      t = gen.next_uniform() < 0.75 ? perm[t] : static_cast<int64_t>(gen.next_uniform() * double(V)) % V;
    }
  }
  std::vector<int64_t> in, out;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < T; ++i) {
      in.push_back(toks[b * (T + 1) + i]);
      out.push_back(toks[b * (T + 1) + i + 1]);
    }
  return {Tensor::from_vector(in, {B, T}), Tensor::from_vector(out, {B, T})};
}

std::vector<double> state_values(optim::Optimizer& opt) {
  std::vector<double> v;
  for (const auto& [name, t] : opt.state()) {
    auto x = t.to_double_vector();
    v.insert(v.end(), x.begin(), x.end());
  }
  return v;
}

struct TrainRun {
  std::vector<double> losses;
  std::vector<double> scales;  // loss scale after each step
  int64_t skipped = 0;
};

struct RunOptions {
  DType precision = DType::f32;
  int64_t steps = 200;
  int64_t inject_inf_at = -1;  // this step's gradients get an inf (before unscaling)
  int64_t growth_interval = 2000;
  bool checkpointing = false;
};

// The trainer's step in miniature: two accumulated micro-batches under the
// precision's autocast, loss scaling, unscale, clip, skip-or-step, refresh.
TrainRun train(const std::string& preset, const RunOptions& o) {
  const nn::ModelConfig c = nn::preset(preset);
  nn::TransformerLM model(c, 0);
  model.set_activation_checkpointing(o.checkpointing);
  nn::FlatParameters flat(model);
  std::unique_ptr<nn::WorkingWeights> working;
  if (o.precision != DType::f32) working = std::make_unique<nn::WorkingWeights>(flat, o.precision);
  std::vector<Tensor> params = model.parameters();
  optim::ParamGroup group;
  for (const auto& [n, p] : model.named_parameters()) {
    group.names.push_back(n);
    group.params.push_back(p);
  }
  optim::AdamW opt({group}, {.lr = 3e-3, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8});
  optim::LossScalerOptions so;
  so.enabled = o.precision == DType::f16;
  so.growth_interval = o.growth_interval;
  optim::LossScaler scaler(so);
  Generator data(42);
  nn::ForwardContext ctx;
  ctx.training = true;
  TrainRun run;
  for (int64_t step = 0; step < o.steps; ++step) {
    flat.zero_grads();
    const nn::Autocast autocast(working ? nn::AutocastPolicy{o.precision, working.get()} : nn::AutocastPolicy{});
    double loss_sum = 0.0;
    for (int micro = 0; micro < 2; ++micro) {
      auto [x, y] = batch(data, 4, c.block_size, c.vocab_size);
      Tensor loss = nn::TransformerLM::loss(model.forward(x, ctx), y);
      EXPECT_EQ(loss.dtype(), DType::f32);
      loss_sum += loss.item();
      ops::mul_scalar(loss, scaler.scale() / 2.0).backward();
    }
    run.losses.push_back(loss_sum / 2.0);
    if (step == o.inject_inf_at) params[3].grad().data<float>()[0] = std::numeric_limits<float>::infinity();
    std::vector<Tensor> grads;
    for (const Tensor& p : params) grads.push_back(p.grad());
    scaler.unscale(grads);
    const double norm = optim::clip_grad_norm(params, 1.0);
    if (scaler.update(norm)) {
      opt.step();
      if (working) working->refresh();
    }
    run.scales.push_back(scaler.scale());
  }
  run.skipped = scaler.skipped_steps();
  return run;
}

TEST(WorkingWeights, CopiesRoundTheMastersAndGradientsReachThemInFp32) {
  nn::TransformerLM model(nn::preset("gpt2-test"), 0);
  nn::FlatParameters flat(model);
  nn::WorkingWeights working(flat, DType::bf16);
  const Tensor master = model.parameter("transformer.h.0.mlp.c_fc.weight");
  const Tensor copy = working.find(master);
  ASSERT_TRUE(copy.defined());
  EXPECT_EQ(copy.dtype(), DType::bf16);
  EXPECT_EQ(copy.to_float_vector(), master.to(DType::bf16).to_float_vector());
  EXPECT_FALSE(working.find(Tensor::zeros({3})).defined());
  // After the master changes, refresh() rounds it again.
  Tensor masters = flat.buffers().at(DType::f32).params;
  ops::fill_(masters, 0.3);
  working.refresh();
  EXPECT_EQ(copy.to_float_vector()[0], float(bf16(0.3f)));

  // Under autocast the layers read the copies; two backward passes accumulate in the fp32 grads.
  const nn::Autocast autocast(working);
  Tensor w = nn::compute_weight(master);
  EXPECT_EQ(w.dtype(), DType::bf16);
  EXPECT_TRUE(w.shares_storage(copy));
  Tensor x = nn::to_compute(Tensor::ones({2, 32}));
  EXPECT_EQ(x.dtype(), DType::bf16);
  for (int i = 0; i < 2; ++i) ops::sum(ops::linear(x, nn::compute_weight(master))).backward();
  ASSERT_TRUE(master.grad().defined());
  EXPECT_EQ(master.grad().dtype(), DType::f32);
  EXPECT_TRUE(master.grad().shares_storage(flat.buffers().at(DType::f32).grads));
  EXPECT_EQ(master.grad().to_float_vector()[0], 4.0f);  // d/dW of sum(x W^T) = 2 rows of ones, twice
}

TEST(WorkingWeights, ModelForwardUnderAutocastComputesInHalfAndLossIsFp32) {
  for (const char* preset : {"gpt2-test", "llama-test"}) {
    nn::TransformerLM model(nn::preset(preset), 0);
    nn::FlatParameters flat(model);
    nn::WorkingWeights working(flat, DType::f16);
    Generator gen(1);
    auto [x, y] = batch(gen, 2, 16, 64);
    nn::ForwardContext ctx;
    Tensor ref = model.forward(x, ctx);
    const nn::Autocast autocast(working);
    Tensor logits = model.forward(x, ctx);
    EXPECT_EQ(logits.dtype(), DType::f16) << preset;
    EXPECT_EQ(nn::TransformerLM::loss(logits, y).dtype(), DType::f32) << preset;
    // Close to fp32: the logits are ~0.02 at init, f16 keeps 11 bits.
    const auto a = logits.to_double_vector(), b = ref.to_double_vector();
    double err = 0.0;
    for (size_t i = 0; i < a.size(); ++i) err = std::max(err, std::abs(a[i] - b[i]));
    EXPECT_LT(err, 2e-3) << preset;
  }
}

TEST(WorkingWeights, ActivationCheckpointingRecomputesUnderTheSamePolicy) {
  RunOptions o;
  o.precision = DType::bf16;
  o.steps = 5;
  const TrainRun plain = train("gpt2-test", o);
  o.checkpointing = true;
  EXPECT_EQ(train("gpt2-test", o).losses, plain.losses);
}

// 200 steps of a tiny model in bf16 and fp16 follow the fp32 curve.
// Tolerance: the mean over the steps of |loss - fp32 loss| below 0.005 nats
// and no step more than 0.02 nats apart (measured on Zen 2: mean 0.0007 and
// max 0.0028 in bf16, 0.0003 and 0.0013 in fp16, losses ~1.7-4.2). 16-bit
// rounding of activations and weight copies moves each step's loss by ~1e-3;
// the trajectories then drift slowly, as two fp32 runs with another summation
// order would, but stay on one curve. Both must also learn (final loss below
// 2.2, from ln 64 = 4.16) and fp16 must not skip a step at these sizes.
TEST(MixedPrecisionTraining, TinyModelsFollowTheFp32LossCurve) {
  for (const char* preset : {"gpt2-test", "llama-test"}) {
    const TrainRun fp32 = train(preset, {});
    for (DType precision : {DType::bf16, DType::f16}) {
      SCOPED_TRACE(std::string(preset) + " " + dtype_name(precision));
      RunOptions o;
      o.precision = precision;
      const TrainRun low = train(preset, o);
      double mean = 0.0, worst = 0.0;
      for (size_t i = 0; i < fp32.losses.size(); ++i) {
        const double d = std::abs(low.losses[i] - fp32.losses[i]);
        mean += d / double(fp32.losses.size());
        worst = std::max(worst, d);
      }
      std::printf("%s %s: mean |dloss| %.4f, max %.4f, final %.4f vs fp32 %.4f, skipped %lld\n", preset,
                  dtype_name(precision), mean, worst, low.losses.back(), fp32.losses.back(),
                  static_cast<long long>(low.skipped));
      EXPECT_LT(mean, 0.005);
      EXPECT_LT(worst, 0.02);
      EXPECT_LT(low.losses.back(), 2.2);
      EXPECT_EQ(low.skipped, 0);
    }
    EXPECT_LT(fp32.losses.back(), 2.2);
  }
}

TEST(MixedPrecisionTraining, InjectedInfSkipsExactlyThatStepAndHalvesTheScale) {
  RunOptions o;
  o.precision = DType::f16;
  o.steps = 6;
  const TrainRun clean = train("gpt2-test", o);
  o.inject_inf_at = 3;
  const TrainRun hit = train("gpt2-test", o);
  EXPECT_EQ(hit.skipped, 1);
  EXPECT_EQ(hit.scales[2], 65536.0);
  EXPECT_EQ(hit.scales[3], 32768.0);
  EXPECT_EQ(clean.skipped, 0);
  EXPECT_EQ(clean.scales[3], 65536.0);
  // Identical up to the injected step (its loss was computed before the inf);
  // the skip shows in the next loss (the weights did not move).
  for (int i = 0; i <= 3; ++i) EXPECT_EQ(hit.losses[i], clean.losses[i]) << i;
  EXPECT_NE(hit.losses[4], clean.losses[4]);
}

TEST(MixedPrecisionTraining, SkippedStepLeavesWeightsAndOptimizerStateBitwiseUnchanged) {
  nn::TransformerLM model(nn::preset("llama-test"), 0);
  nn::FlatParameters flat(model);
  nn::WorkingWeights working(flat, DType::f16);
  optim::ParamGroup group;
  for (const auto& [n, p] : model.named_parameters()) {
    group.names.push_back(n);
    group.params.push_back(p);
  }
  std::vector<Tensor> params = model.parameters();
  optim::AdamW opt({group}, {.lr = 1e-3});
  optim::LossScalerOptions so;
  so.enabled = true;
  so.growth_interval = 2;
  optim::LossScaler scaler(so);
  Generator data(7);
  nn::ForwardContext ctx;
  auto step = [&](bool inject) {
    flat.zero_grads();
    const nn::Autocast autocast(working);
    auto [x, y] = batch(data, 2, 16, 64);
    ops::mul_scalar(nn::TransformerLM::loss(model.forward(x, ctx), y), scaler.scale()).backward();
    if (inject) params[5].grad().data<float>()[2] = std::numeric_limits<float>::infinity();
    std::vector<Tensor> grads;
    for (const Tensor& p : params) grads.push_back(p.grad());
    scaler.unscale(grads);
    const bool ok = scaler.update(optim::clip_grad_norm(params, 1.0));
    if (ok) {
      opt.step();
      working.refresh();
    }
    return ok;
  };
  ASSERT_TRUE(step(false));  // creates the optimizer state
  const std::vector<float> weights = flat.buffers().at(DType::f32).params.to_float_vector();
  const std::vector<float> copies = working.find(params[0]).to_float_vector();
  const std::vector<double> state = state_values(opt);
  const int64_t count = opt.step_count();
  EXPECT_FALSE(step(true));
  EXPECT_EQ(flat.buffers().at(DType::f32).params.to_float_vector(), weights);
  EXPECT_EQ(working.find(params[0]).to_float_vector(), copies);
  EXPECT_EQ(state_values(opt), state);
  EXPECT_EQ(opt.step_count(), count);
  EXPECT_EQ(scaler.scale(), 32768.0);
  // Growth after the interval: two good steps double it again.
  EXPECT_TRUE(step(false));
  EXPECT_EQ(scaler.scale(), 32768.0);
  EXPECT_TRUE(step(false));
  EXPECT_EQ(scaler.scale(), 65536.0);
  EXPECT_NE(flat.buffers().at(DType::f32).params.to_float_vector(), weights);
}

}  // namespace
}  // namespace forge
