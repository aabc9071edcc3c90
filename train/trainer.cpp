// The training loop (see trainer.h).
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "data/loader.h"
#include "distributed/grad_reducer.h"
#include "distributed/layout.h"
#include "distributed/pipeline.h"
#include "nn/flat_parameters.h"
#include "nn/transformer.h"
#include "optim/grad_norm.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "optim/zero_adamw.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/init_from.h"
#include "monitor/metrics.h"
#include "checkpoint/model_shards.h"
#include "checkpoint/resume.h"
#include "train/sft.h"
#include "train/stop_signal.h"
#include "train/training_sample.h"

namespace forge::recipes {

nn::ModelConfig model_config_of(const Recipe& r) {
  nn::ModelConfig c;
  c.family = nn::family_from_name(r.model.family);
  c.n_layer = r.model.n_layer;
  c.n_head = r.model.n_head;
  c.n_kv_head = r.model.n_kv_head;
  c.n_embd = r.model.n_embd;
  c.vocab_size = r.model.vocab_size;
  c.block_size = r.model.block_size;
  c.ffn_hidden = r.model.ffn_hidden;
  c.rope_theta = r.model.rope_theta;
  c.norm_eps = r.model.norm_eps;
  c.dropout = r.model.dropout;
  c.tie_embeddings = r.model.tie_embeddings;
  c.validate();
  return c;
}

namespace {

// No weight decay on biases, norm weights and embeddings (1-d tensors and *wte/*wpe/*embed*).
std::vector<optim::ParamGroup> param_groups(const nn::Module& model, double weight_decay) {
  optim::ParamGroup decay, no_decay;
  decay.weight_decay = weight_decay;
  for (const auto& [name, p] : model.named_parameters()) {
    const bool embedding = name.find("wte") != std::string::npos || name.find("wpe") != std::string::npos ||
                           name.find("embed_tokens") != std::string::npos;
    optim::ParamGroup& g = (p.dim() >= 2 && !embedding) ? decay : no_decay;
    g.names.push_back(name);
    g.params.push_back(p);
  }
  return {decay, no_decay};
}

// Weight of this dp rank's mean loss so that averaging the ranks' gradients gives
// the gradient of the mean over every trained token of the global micro-batch:
// dp * (this rank's trained tokens) / (all ranks' trained tokens). Collective.
double dp_loss_weight(const distributed::Layout& layout, const Tensor& targets) {
  const int64_t* t = targets.data<int64_t>();
  int64_t mine = 0;
  for (int64_t i = 0; i < targets.numel(); ++i) mine += t[i] != -100;
  Tensor count = Tensor::full({1}, static_cast<double>(mine));
  layout.dp_group->all_reduce(count, distributed::ReduceOp::sum)->wait();
  const double all = count.item();
  return all > 0 ? static_cast<double>(layout.dp) * static_cast<double>(mine) / all : 1.0;
}

// A double as two floats (its float rounding and the rest), so it travels
// through the f32 collectives with ~48 bits kept; float_pair_value joins them.
void to_float_pair(double value, float* pair) {
  pair[0] = static_cast<float>(value);
  pair[1] = static_cast<float>(value - double(pair[0]));
}
double float_pair_value(const float* pair) { return double(pair[0]) + double(pair[1]); }

// The mean over the dp ranks of a per-rank value (in double: each rank's value as
// a float pair, gathered and summed in rank order). Collective.
double global_mean(const distributed::Layout& layout, double value) {
  if (layout.dp == 1) return value;
  Tensor parts = Tensor::empty({2});
  to_float_pair(value, parts.data<float>());
  Tensor all = Tensor::empty({2 * int64_t(layout.dp)});
  layout.dp_group->all_gather(parts, all)->wait();
  double total = 0.0;
  for (int r = 0; r < layout.dp; ++r) total += float_pair_value(all.data<float>() + 2 * r);
  return total / static_cast<double>(layout.dp);
}

// Blocks [begin, end) of pipeline stage `stage`: parallel.pp_layers, or an even split
// (the first n_layer % pp stages one more).
std::pair<int64_t, int64_t> stage_layers(const Recipe& r, int64_t n_layer, int stage) {
  const int pp = r.parallel.pp;
  int64_t begin = 0;
  for (int k = 0; k <= stage; ++k) {
    const int64_t n = r.parallel.pp_layers.empty() ? n_layer / pp + (k < n_layer % pp ? 1 : 0) : r.parallel.pp_layers[k];
    if (k == stage) return {begin, begin + n};
    begin += n;
  }
  return {0, n_layer};
}

// `value` of the last pipeline stage on every stage, exact to double (two floats). Collective over pp.
double from_last_stage(const distributed::Layout& layout, double value) {
  if (layout.pp == 1) return value;
  Tensor parts = Tensor::empty({2});
  to_float_pair(value, parts.data<float>());
  layout.pp_group->broadcast(parts, layout.pp - 1)->wait();
  return float_pair_value(parts.data<float>());
}

// True on every rank when `flag` is true on any (a stop signal may reach the
// ranks at different steps; they must stop after the same one). Collective.
bool any_rank(const distributed::Layout& layout, bool flag) {
  if (layout.world->size() == 1) return flag;
  Tensor t = Tensor::full({1}, flag ? 1.0 : 0.0);
  layout.world->all_reduce(t, distributed::ReduceOp::sum)->wait();
  return t.item() > 0.0;
}

}  // namespace

struct Trainer::State {
  Recipe recipe;
  nn::ModelConfig config;
  std::unique_ptr<nn::TransformerLM> model;
  std::unique_ptr<nn::FlatParameters> flat;
  std::unique_ptr<optim::Optimizer> optimizer;
  optim::Schedule schedule;
  std::unique_ptr<data::BatchSource> train_data, val_data;  // train/sft.h: SFT or pretraining loader
  std::unique_ptr<TrainingSampler> sampler;  // when data.tokenizer is set
  Generator dropout_gen;
  int64_t total_steps = 0;
  // Distributed training (docs/distributed.md): the layout, and either the
  // bucketed gradient all-reduce or the ZeRO-1 optimizer (which reduce-scatters).
  distributed::Layout layout;
  std::unique_ptr<distributed::GradBucketReducer> reducer;
  optim::ZeroAdamW* zero = nullptr;  // = optimizer when parallel.zero is 1
  // Tensor and pipeline parallelism: the model holds this rank's pieces.
  bool partitioned = false;
  distributed::PipelineSchedule pp_schedule = distributed::PipelineSchedule::one_f_one_b;
  std::shared_ptr<distributed::ProcessGroup> model_group;  // tp x pp of this replica (gradient norm)
  std::shared_ptr<distributed::ProcessGroup> tied_group;   // first + last stage: GPT-2's tied embedding (pp > 1)
  std::vector<Tensor> counted;                             // parameters the gradient norm counts on this rank
  int64_t whole_parameters = 0;                            // of the whole model
  bool writer() const { return layout.rank == 0; }
};

Trainer::Trainer(Recipe recipe) : Trainer(std::move(recipe), std::make_shared<distributed::SingleProcessGroup>()) {}

Trainer::Trainer(Recipe recipe, std::shared_ptr<distributed::ProcessGroup> world) : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.recipe = std::move(recipe);
  const Recipe& r = s.recipe;
  s.layout = distributed::Layout::create(std::move(world), r.parallel.dp, r.parallel.tp, r.parallel.pp);
  const int dp = s.layout.dp;
  FORGE_CHECK(r.precision == Precision::fp32,
              "precision '" << to_string(r.precision) << "' is not supported on the CPU path yet; use precision: fp32");
  s.config = model_config_of(r);
  // Tensor and pipeline parallelism (docs/distributed.md): this rank's stage and pieces of the model.
  nn::ModelParallelism mp;
  mp.tp_group = s.layout.tp_group;
  std::tie(mp.layer_begin, mp.layer_end) = stage_layers(r, s.config.n_layer, s.layout.pp_rank);
  s.model = std::make_unique<nn::TransformerLM>(s.config, static_cast<uint64_t>(r.seed), mp);
  s.model->set_activation_checkpointing(r.train.activation_checkpointing);
  s.partitioned = s.model->is_partitioned();
  s.pp_schedule = distributed::pipeline_schedule_from_name(r.parallel.pp_schedule);
  s.model_group = s.layout.world->split(s.layout.dp_rank, s.layout.rank);
  if (s.layout.pp > 1 && s.config.tie_embeddings) {
    const bool holds = s.model->first_stage() || s.model->last_stage();
    s.tied_group = s.layout.pp_group->split(holds ? 0 : 1, s.layout.pp_rank);
    if (!holds) s.tied_group.reset();
  }
  // The gradient norm counts each element once: pieces everywhere, tp-replicated
  // parameters on tp rank 0, the tied embedding's copy nowhere.
  std::vector<std::string> uncounted;
  const auto named = s.model->named_parameters();
  const auto specs = s.model->named_shard_specs();
  double counted_numel = 0.0;
  for (size_t i = 0; i < named.size(); ++i) {
    const nn::ShardSpec& spec = specs[i].second;
    if (!spec.duplicate && (spec.sharded() || s.layout.tp_rank == 0)) {
      s.counted.push_back(named[i].second);
      counted_numel += static_cast<double>(named[i].second.numel());
    } else {
      uncounted.push_back(named[i].first);
    }
  }
  s.whole_parameters = static_cast<int64_t>(optim::sum_over_group(*s.model_group, counted_numel));
  // Every rank initialises the same weights from the seed; ZeRO-1 needs buffers that split into dp equal shards.
  s.flat = std::make_unique<nn::FlatParameters>(*s.model, r.parallel.zero ? dp : 1);
  s.dropout_gen = Generator(static_cast<uint64_t>(r.seed) * 2654435761ull + 1);

  s.train_data = make_batch_source(r, /*val=*/false, dp, s.layout.dp_rank);
  FORGE_CHECK(s.train_data->vocab_size() <= s.config.vocab_size,
              "data.train was tokenized with a vocabulary of " << s.train_data->vocab_size()
                                                               << " tokens, larger than model.vocab_size " << s.config.vocab_size);
  if (!r.data.val.empty()) s.val_data = make_batch_source(r, /*val=*/true);
  if (!r.data.tokenizer.empty() && !s.partitioned) {  // samples need the whole model on one rank
    const data::BatchSource& first = s.val_data ? *s.val_data : *s.train_data;  // batch() is pure: no state moves
    s.sampler = std::make_unique<TrainingSampler>(r, s.config, first.batch(0, 0).inputs.data<int64_t>()[0]);
  }
  s.total_steps = r.total_steps(dp);

  auto groups = param_groups(*s.model, r.optim.weight_decay);
  const nn::FlatBuffer& fp32 = s.flat->buffers().at(DType::f32);
  if (r.parallel.zero == 1) {
    FORGE_CHECK(r.optim.name == "adamw", "parallel.zero: 1 shards AdamW state; optim.name '" << r.optim.name
                                                                                           << "' is not supported with it");
    auto zero = std::make_unique<optim::ZeroAdamW>(
        groups, optim::AdamWOptions{r.optim.lr, r.optim.betas[0], r.optim.betas[1], r.optim.eps}, fp32.params,
        fp32.grads, s.layout.dp_group);
    s.zero = zero.get();
    if (s.partitioned) s.zero->set_norm_scope(uncounted, s.model_group);
    s.optimizer = std::move(zero);
  } else if (r.optim.name == "sgd") {
    s.optimizer = std::make_unique<optim::SGD>(groups, optim::SGDOptions{r.optim.lr, r.optim.momentum});
  } else {
    s.optimizer = std::make_unique<optim::AdamW>(
        groups, optim::AdamWOptions{r.optim.lr, r.optim.betas[0], r.optim.betas[1], r.optim.eps});
  }
  optim::ScheduleOptions so;
  so.lr = r.optim.lr;
  so.min_lr = r.min_lr();
  so.warmup_steps = r.schedule.warmup_steps;
  so.total_steps = s.total_steps;
  if (r.schedule.name == "wsd") {
    so.decay_steps = r.schedule.decay_steps > 0 ? r.schedule.decay_steps
                                                : static_cast<int64_t>(r.schedule.decay_fraction * s.total_steps);
  } else if (r.schedule.decay_steps > 0) {
    // cosine/linear decay over decay_steps after warmup, then hold min_lr (docs/recipe-reference.md).
    so.total_steps = r.schedule.warmup_steps + r.schedule.decay_steps;
  }
  s.schedule = optim::make_schedule(r.schedule.name, so);
  if (dp > 1 && !s.zero)
    s.reducer = std::make_unique<distributed::GradBucketReducer>(fp32.grads, s.model->parameters(), s.layout.dp_group);
}

Trainer::~Trainer() = default;

void Trainer::save_training_checkpoint(const TrainingState& progress) {
  State& s = *s_;
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
  const auto t0 = std::chrono::steady_clock::now();
  const std::string path = checkpoint_path(r.run.dir, state.step);
  CheckpointContents contents = training_checkpoint(r, s.config, *s.model, *s.optimizer, state);
  if (s.partitioned) {
    contents.model = std::move(whole.params);
    contents.optimizer_state = std::move(whole.optimizer_state);
  }
  save_checkpoint(path, contents);
  write_latest(r.run.dir, state.step);
  prune_checkpoints(r.run.dir, r.checkpoint.keep_last);
  std::printf("checkpoint: %s (%.1f s)\n", path.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::fflush(stdout);
}

const nn::TransformerLM& Trainer::model() const { return *s_->model; }

std::vector<std::pair<std::string, Tensor>> Trainer::whole_weights() {
  State& s = *s_;
  if (!s.partitioned) return s.writer() ? s.model->named_parameters() : std::vector<std::pair<std::string, Tensor>>{};
  return gather_whole_model(s.layout, *s.model, {}).params;
}

double Trainer::evaluate(int64_t steps) {
  State& s = *s_;
  if (!s.val_data) return -1.0;
  NoGradGuard no_grad;
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

TrainSummary Trainer::run() {
  State& s = *s_;
  const Recipe& r = s.recipe;
  // Where the run starts (docs/checkpoints.md): a checkpoint to continue, or step 0
  // with fresh weights or init_from's. Done before anything is written, so a bad
  // checkpoint loses nothing.
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
  if (s.writer() && !note.empty()) std::printf("%s\n", note.c_str());
  state.dp = s.layout.dp;
  state.tp = s.layout.tp;
  state.pp = s.layout.pp;

  // Only world rank 0 writes the run directory and prints.
  std::unique_ptr<MetricsLog> metrics;
  if (s.writer()) {
    std::error_code ec;
    std::filesystem::create_directories(r.run.dir + "/checkpoints", ec);
    FORGE_CHECK(!ec, "cannot create run directory '" << r.run.dir << "/checkpoints': " << ec.message()
                                                     << " (is run.dir writable?)");
    // Lines an interrupted run logged after its last checkpoint are replaced by the continuation's.
    if (const int64_t dropped = drop_metrics_after(r.run.dir, state.step); dropped > 0)
      std::printf("metrics.jsonl: dropped %lld lines logged after step %lld\n", static_cast<long long>(dropped),
                  static_cast<long long>(state.step));
    std::ofstream out(r.run.dir + "/recipe.yaml");
    FORGE_CHECK(out.good(), "cannot write '" << r.run.dir << "/recipe.yaml' (is run.dir writable?)");
    out << dump(r);
    metrics = std::make_unique<MetricsLog>(r.run.dir);
  }
  const int64_t accum = r.data.grad_accum;
  const int dp = s.layout.dp;
  const int64_t tokens_per_step = r.tokens_per_step(dp);
  const double flops_per_token = s.config.flops_per_token(s.whole_parameters, r.data.seq_len);
  std::vector<Tensor> params = s.model->parameters();
  if (s.writer())
    std::printf("model: %s, %lld parameters; %lld steps of %lld tokens; layout %s\n", nn::family_name(s.config.family),
                static_cast<long long>(s.whole_parameters), static_cast<long long>(s.total_steps),
                static_cast<long long>(tokens_per_step), s.layout.str().c_str());
  if (s.writer() && r.train.peak_flops <= 0)
    std::printf("mfu: n/a until train.peak_flops gives one device's peak FLOP/s (model FLOP/s per device are shown)\n");
  if (s.writer() && s.partitioned && !r.data.tokenizer.empty())
    std::printf("samples: not printed (the model is split over tensor/pipeline-parallel ranks)\n");

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto window_start = start;
  int64_t window_steps = 0;
  TrainSummary summary;
  summary.steps = state.step;
  if (s.writer() && state.step == s.total_steps)
    std::printf("the run is already complete (%lld steps)\n", static_cast<long long>(state.step));
  const StopSignals signals;  // SIGTERM/SIGINT: finish this step, save, return
  for (int64_t step = state.step; step < s.total_steps; ++step) {
    s.model->train();
    s.flat->zero_grads();
    nn::ForwardContext ctx;
    ctx.training = true;
    ctx.dropout_gen = &s.dropout_gen;
    double loss_sum = 0.0;
    // The micro-steps of gradient accumulation; under pipeline parallelism they are
    // the pipeline's micro-batches, each stage running its part (distributed/pipeline.h).
    auto micro_forward = [&](int64_t a, const Tensor& input) {
      data::Batch b = s.train_data->batch(step, a);
      ctx.positions = b.positions;  // packed SFT rows; undefined otherwise
      ctx.doc_ids = b.doc_ids;
      Tensor out = s.model->forward(s.model->first_stage() ? b.inputs : input, ctx);
      if (!s.model->last_stage()) return out;
      Tensor loss = s.model->loss_of(out, b.targets);
      // dp ranks average gradients, so each rank weighs its mean loss by its share of
      // the global batch's trained tokens (1 unless a loss mask makes the shares unequal).
      const double weight = dp > 1 ? dp_loss_weight(s.layout, b.targets) : 1.0;
      loss_sum += weight * loss.item();
      const double scale = weight / static_cast<double>(accum);
      return scale != 1.0 ? ops::mul_scalar(loss, scale) : loss;
    };
    if (s.layout.pp == 1) {
      for (int64_t a = 0; a < accum; ++a) {
        Tensor loss = micro_forward(a, Tensor());
        if (s.reducer) s.reducer->set_sync(a + 1 == accum);
        loss.backward();
        if (a == 0) signals.test_hook(step + 1);
      }
    } else {
      distributed::PipelineStep ps;
      ps.micro_batches = accum;
      ps.activation_shape = [&](int64_t a) {
        const Tensor ids = s.train_data->batch(step, a).inputs;
        return Shape{ids.size(0), ids.size(1), s.config.n_embd};
      };
      ps.forward = micro_forward;
      ps.before_backward = [&](int64_t a) {
        if (s.reducer) s.reducer->set_sync(a + 1 == accum);
      };
      distributed::run_pipeline(s.pp_schedule, *s.layout.pp_group, ps);
      signals.test_hook(step + 1);
    }
    if (s.reducer) s.reducer->finish();
    if (s.tied_group) {  // GPT-2's tied embedding: the first stage's input and the last stage's head gradients
      Tensor g = s.model->parameter(s.config.family == nn::Family::gpt2 ? "transformer.wte.weight"
                                                                        : "model.embed_tokens.weight")
                     .grad();
      s.tied_group->all_reduce(g, distributed::ReduceOp::sum)->wait();
    }
    if (s.zero) s.zero->reduce_gradients();
    const double loss = from_last_stage(s.layout, global_mean(s.layout, loss_sum) / static_cast<double>(accum));
    summary.losses.push_back(loss);
    FORGE_CHECK(std::isfinite(loss), "training diverged: loss is " << loss << " at step " << step + 1
                                                                     << " (lower optim.lr or enable optim.grad_clip)");
    const double grad_norm = s.zero          ? s.zero->clip_grad_norm(r.optim.grad_clip)
                             : s.partitioned ? optim::clip_grad_norm(params, s.counted, r.optim.grad_clip, *s.model_group)
                                             : optim::clip_grad_norm(params, r.optim.grad_clip);
    const double lr = s.schedule(step);
    s.optimizer->set_lr(lr);
    s.optimizer->step();
    state.step = state.loader_step = step + 1;  // the loader is a pure function of the step
    state.tokens_seen += tokens_per_step;
    ++window_steps;
    summary.steps = step + 1;
    summary.last_loss = loss;

    const bool last = step + 1 == s.total_steps;
    if (((step + 1) % r.train.log_interval == 0 || last) && s.writer()) {
      const auto now = Clock::now();
      const double dt = std::chrono::duration<double>(now - window_start).count();
      const double tps = static_cast<double>(window_steps * tokens_per_step) / std::max(dt, 1e-9);
      // Achieved model FLOP/s per device (shown even when the peak is unknown) over
      // the device's peak (train.peak_flops is per device).
      const double flops_per_device = tps * flops_per_token / static_cast<double>(s.layout.world->size());
      const double mfu = r.train.peak_flops > 0 ? flops_per_device / r.train.peak_flops : 0.0;
      char mfu_text[32];
      if (r.train.peak_flops > 0) std::snprintf(mfu_text, sizeof mfu_text, "%.1f%%", 100.0 * mfu);
      else std::snprintf(mfu_text, sizeof mfu_text, "n/a");  // unknown peak: no made-up figure
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const double eta = elapsed / static_cast<double>(step + 1) * static_cast<double>(s.total_steps - step - 1);
      std::printf("step %6lld/%lld | loss %.4f | lr %.3e | grad norm %.3f | %.0f tok/s | %.1f GFLOP/s | mfu %s | eta %s\n",
                  static_cast<long long>(step + 1), static_cast<long long>(s.total_steps), loss, lr, grad_norm, tps,
                  flops_per_device * 1e-9, mfu_text, format_duration(eta).c_str());
      std::fflush(stdout);
      metrics->write({{"step", double(step + 1)}, {"loss", loss}, {"lr", lr}, {"grad_norm", grad_norm},
                     {"tokens", double(state.tokens_seen)}, {"tokens_per_s", tps}, {"mfu", mfu}});
      summary.tokens_per_s = tps;
      window_start = Clock::now();
      window_steps = 0;
    }
    if (s.val_data && r.train.eval_interval > 0 && ((step + 1) % r.train.eval_interval == 0 || last)) {
      const double val = evaluate(r.train.eval_steps);
      if (s.writer()) {
        std::printf("step %6lld | val loss %.4f\n", static_cast<long long>(step + 1), val);
        metrics->write({{"step", double(step + 1)}, {"val_loss", val}});
      }
      summary.last_val_loss = val;
      window_start = Clock::now();  // evaluation time is not training throughput
    }
    if (s.sampler && s.writer() && (last || (r.train.sample_interval > 0 && (step + 1) % r.train.sample_interval == 0))) {
      std::printf("step %6lld | sample: %s\n", static_cast<long long>(step + 1), s.sampler->sample(*s.model).c_str());
      std::fflush(stdout);
      window_start = Clock::now();  // sampling time is not training throughput
    }
    const bool stop = any_rank(s.layout, signals.received() != 0);
    if (last || stop || (r.checkpoint.interval > 0 && (step + 1) % r.checkpoint.interval == 0)) {
      save_training_checkpoint(state);
      window_start = Clock::now();  // saving time is not training throughput
    }
    if (stop) {
      summary.stopped_by = signal_name(signals.received() ? signals.received() : SIGTERM);
      if (s.writer())
        std::printf("%s: stopped after step %lld and saved a checkpoint; resume=auto continues the run\n",
                    summary.stopped_by.c_str(), static_cast<long long>(step + 1));
      break;
    }
  }
  return summary;
}

}  // namespace forge::recipes
