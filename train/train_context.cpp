// Building a TrainContext from a recipe (see train_context.h).
#include "train/train_context.h"

#include "data/tokenizer_files.h"
#include "nn/model_family.h"
#include "optim/grad_norm.h"
#include "train/memory_estimate.h"
#include "train/sft.h"

namespace forge::recipes {

nn::ModelConfig model_config_of(const Recipe& r) {
  const nn::ModelConfig c = r.model;  // the model section is nn's ModelConfig plus its preset name
  c.validate();
  return c;
}

namespace {

// Weight decay where the model family's rule says (not on biases, norm weights and embeddings).
std::vector<optim::ParamGroup> param_groups(const nn::TransformerLM& model, double weight_decay) {
  const nn::FamilySpec& family = nn::family_spec(model.config().family);
  optim::ParamGroup decay, no_decay;
  decay.weight_decay = weight_decay;
  for (const auto& [name, p] : model.named_parameters()) {
    optim::ParamGroup& g = family.decays(name, p.shape()) ? decay : no_decay;
    g.names.push_back(name);
    g.params.push_back(p);
  }
  return {decay, no_decay};
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

// The model (this rank's stage and pieces of it), its groups and the parameters the
// gradient norm counts; returns the names of the parameters it does not count.
std::vector<std::string> build_model(TrainContext& s) {
  const Recipe& r = s.recipe;
  nn::ModelParallelism mp;
  mp.tp_group = s.layout.tp_group;
  std::tie(mp.layer_begin, mp.layer_end) = stage_layers(r, s.config.n_layer, s.layout.pp_rank);
  s.model = nn::build_model(s.config, static_cast<uint64_t>(r.seed), mp);
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
  return uncounted;
}

void build_optimizer(TrainContext& s, const std::vector<std::string>& uncounted) {
  const Recipe& r = s.recipe;
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
  } else {
    const optim::OptimizerOptions options{.lr = r.optim.lr,
                                          .beta1 = r.optim.betas[0],
                                          .beta2 = r.optim.betas[1],
                                          .eps = r.optim.eps,
                                          .momentum = r.optim.momentum};
    s.optimizer = optim::make_optimizer(r.optim.name, groups, options);  // the optimizer registry
  }
  if (s.layout.dp > 1 && !s.zero)
    s.reducer = std::make_unique<distributed::GradBucketReducer>(fp32.grads, s.model->parameters(), s.layout.dp_group);
}

optim::Schedule build_schedule(const Recipe& r, int64_t total_steps) {
  optim::ScheduleOptions so;
  so.lr = r.optim.lr;
  so.min_lr = r.min_lr();
  so.warmup_steps = r.schedule.warmup_steps;
  so.total_steps = total_steps;
  if (r.schedule.name == "wsd") {
    so.decay_steps = r.schedule.decay_steps > 0 ? r.schedule.decay_steps
                                                : static_cast<int64_t>(r.schedule.decay_fraction * total_steps);
  } else if (r.schedule.decay_steps > 0) {
    // cosine/linear decay over decay_steps after warmup, then hold min_lr (docs/recipe-reference.md).
    so.total_steps = r.schedule.warmup_steps + r.schedule.decay_steps;
  }
  return optim::make_schedule(r.schedule.name, so);
}

}  // namespace

std::unique_ptr<TrainContext> make_train_context(Recipe recipe, std::shared_ptr<distributed::ProcessGroup> world) {
  auto context = std::make_unique<TrainContext>();
  TrainContext& s = *context;
  s.recipe = std::move(recipe);
  const Recipe& r = s.recipe;
  s.layout = distributed::Layout::create(std::move(world), r.parallel.dp, r.parallel.tp, r.parallel.pp);
  const int dp = s.layout.dp;
  s.config = model_config_of(r);
  // Before anything large is allocated: a model that cannot fit is an error, not the kernel's OOM kill.
  check_training_memory(estimate_training_memory(r, s.config, s.layout), machine_memory(), s.writer());
  const std::vector<std::string> uncounted = build_model(s);
  // Every rank initialises the same weights from the seed; ZeRO-1 needs buffers that split into dp equal shards.
  s.flat = std::make_unique<nn::FlatParameters>(*s.model, r.parallel.zero ? dp : 1);
  if (r.precision != Precision::fp32)
    s.working = std::make_unique<nn::WorkingWeights>(*s.flat, r.precision == Precision::bf16 ? DType::bf16 : DType::f16);
  optim::LossScalerOptions scaling;
  scaling.enabled = r.precision == Precision::fp16;
  scaling.initial_scale = r.loss_scale.initial;
  scaling.growth_interval = r.loss_scale.growth_interval;
  scaling.growth_factor = r.loss_scale.growth_factor;
  scaling.backoff_factor = r.loss_scale.backoff_factor;
  scaling.min_scale = r.loss_scale.min;
  s.scaler = std::make_unique<optim::LossScaler>(scaling);
  s.dropout_gen = Generator(static_cast<uint64_t>(r.seed) * 2654435761ull + 1);

  s.train_data = make_batch_source(r, /*val=*/false, dp, s.layout.dp_rank);
  FORGE_CHECK(s.train_data->vocab_size() <= s.config.vocab_size,
              "data.train was tokenized with a vocabulary of " << s.train_data->vocab_size()
                                                               << " tokens, larger than model.vocab_size " << s.config.vocab_size);
  if (!r.data.val.empty()) s.val_data = make_batch_source(r, /*val=*/true);
  // Shards of another tokenizer would train without an error and mean nothing.
  if (s.val_data) data::check_same_tokenizer(*s.train_data, "data.train", *s.val_data, "data.val");
  if (!r.data.tokenizer.empty()) {
    const data::Tokenizer tokenizer = data::load_tokenizer(r.data.tokenizer);
    data::check_made_with(*s.train_data, "data.train", tokenizer.vocab_size(), tokenizer.fingerprint(), r.data.tokenizer);
  }
  if (!r.data.tokenizer.empty() && !s.partitioned) {  // samples need the whole model on one rank
    const data::BatchSource& first = s.val_data ? *s.val_data : *s.train_data;  // batch() is pure: no state moves
    s.sampler = std::make_unique<TrainingSampler>(r, s.config, first.batch(0, 0).inputs.data<int64_t>()[0]);
  }
  s.total_steps = r.total_steps(dp);
  build_optimizer(s, uncounted);
  s.schedule = build_schedule(r, s.total_steps);
  return context;
}

}  // namespace forge::recipes
