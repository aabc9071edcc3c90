// The typed training recipe: what a `recipe.yaml` (plus `key.path=value`
// overrides) resolves to, and the functions that load, validate and dump it.
//
// Every key is documented in docs/recipe-reference.md. Loading is strict:
// unknown keys (with a "did you mean" suggestion), wrong types and out-of-range
// values throw forge::Error naming the key path and where it came from
// (`file:line:column`, or `command-line override 'key=value'`). A loaded
// Recipe is fully resolved: the model preset is expanded, derived defaults
// (n_kv_head, ffn_hidden, seq_len, run.dir, ...) are filled in, so `dump()`
// writes a self-contained recipe that loads back to an equal Recipe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nn/config.h"

namespace forge::recipes {

enum class Precision { fp32, bf16, fp16 };
enum class DataOrder { random, sequential };
// What a step with a non-finite loss or gradient norm (or a loss spike) does (train/divergence_guard.h).
enum class BadStepAction { skip, abort };
enum class ResumeMode { none, automatic, path };

struct RunConfig {
  std::string dir;   // run directory; "" at load time resolves to "runs/<name>"
  std::string name;  // "" at load time resolves to the recipe file's stem
  bool operator==(const RunConfig&) const = default;
};

// The model section: nn's one ModelConfig (its keys are nn's field table,
// nn/config.h) plus the preset it started from. A loaded recipe has every field
// resolved (n_kv_head and ffn_hidden never 0).
struct ModelSection : nn::ModelConfig {
  std::string preset;  // "" = no preset (then `family` is required)
  bool operator==(const ModelSection&) const = default;
};

struct DataConfig {
  std::string train;      // path or glob of train shards (required)
  std::string val;        // path or glob of validation shards; "" = no evaluation
  std::string tokenizer;  // tokenizer folder or tokenizer.json; "" = none
  int batch_size = 8;     // per-rank micro-batch B
  int seq_len = 0;        // T; 0 at load time resolves to model.block_size
  int grad_accum = 1;     // micro-steps per optimizer step
  DataOrder order = DataOrder::random;
  bool operator==(const DataConfig&) const = default;
};

struct OptimConfig {
  std::string name = "adamw";  // a registered optimizer: "adamw" | "sgd"
  double lr = 3e-4;
  std::array<double, 2> betas{0.9, 0.95};
  double eps = 1e-8;
  double weight_decay = 0.1;
  double grad_clip = 1.0;  // max global grad norm; 0 = no clipping
  double momentum = 0.9;   // sgd only
  bool operator==(const OptimConfig&) const = default;
};

struct ScheduleConfig {
  std::string name = "cosine";  // a registered schedule: constant|cosine|linear|wsd
  int64_t warmup_steps = 0;
  double min_lr_ratio = 0.1;      // final lr = min_lr_ratio * optim.lr ...
  std::optional<double> min_lr;   // ... unless an absolute min_lr is given
  int64_t decay_steps = 0;        // length of the decay phase; 0 = see the reference
  double decay_fraction = 0.2;    // wsd: decay over this fraction of all steps
  bool operator==(const ScheduleConfig&) const = default;
};

struct TrainConfig {
  int64_t max_steps = 0;   // exactly one of max_steps / max_tokens is > 0
  int64_t max_tokens = 0;
  int64_t log_interval = 10;
  int64_t eval_interval = 250;  // 0 = never
  int64_t eval_steps = 20;
  int64_t sample_interval = 0;  // 0 = never
  int64_t sample_tokens = 64;
  std::string sample_prompt;
  double sample_temperature = 1.0;  // 0 = greedy
  int64_t sample_top_k = 0;         // 0 = all tokens
  double peak_flops = 0.0;      // per device, for MFU; 0 = unknown
  bool activation_checkpointing = false;
  BadStepAction on_bad_step = BadStepAction::skip;  // divergence guard (train/divergence_guard.h)
  int64_t max_bad_steps = 5;    // consecutive bad steps before rolling back to the last checkpoint
  double spike_zscore = 0.0;    // loss z-score that counts as a spike; 0 = off
  int64_t spike_window = 100;   // trailing applied steps the z-score is taken over
  bool operator==(const TrainConfig&) const = default;
};

struct CheckpointConfig {
  int64_t interval = 1000;  // 0 = only at the end
  int keep_last = 3;        // 0 = keep all
  bool operator==(const CheckpointConfig&) const = default;
};

struct InitFromConfig {
  std::string path;  // "" = fresh initialisation
  bool strict = true;
  bool operator==(const InitFromConfig&) const = default;
};

struct ResumeConfig {
  ResumeMode mode = ResumeMode::none;
  std::string path;  // only for ResumeMode::path
  bool operator==(const ResumeConfig&) const = default;
};

struct ParallelConfig {
  int dp = 0;  // 0 = auto: world_size / (tp * pp)
  int tp = 1;
  int pp = 1;
  int zero = 0;  // 0 | 1
  std::vector<int> pp_layers;          // blocks per pipeline stage; empty = as even as possible
  std::string pp_schedule = "1f1b";    // 1f1b | gpipe (distributed/pipeline.h)
  bool operator==(const ParallelConfig&) const = default;
};

// fp16's dynamic loss scaling (optim/loss_scaler.h, docs/mixed-precision.md); unused otherwise.
struct LossScaleConfig {
  double initial = 65536.0;
  int64_t growth_interval = 2000;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  double min = 1.0;
  bool operator==(const LossScaleConfig&) const = default;
};

// Supervised fine-tuning (docs/recipe-reference.md, "sft"): data.train/val are
// SFT shards from `forge prepare --sft`, read a conversation at a time.
struct SftConfig {
  bool enabled = false;
  bool packing = false;  // several conversations per row, attention kept inside each
  std::string chat_turn = "<|im_start|>{role}\n{content}<|im_end|>\n";  // data/chat_template.h
  std::string chat_stop = "<|im_end|>";
  bool extend_vocab = true;  // init_from with a smaller vocabulary: append mean-embedding rows
  bool operator==(const SftConfig&) const = default;
};

struct Recipe {
  RunConfig run;
  int64_t seed = 1337;
  Precision precision = Precision::fp32;
  ModelSection model;
  DataConfig data;
  OptimConfig optim;
  ScheduleConfig schedule;
  TrainConfig train;
  CheckpointConfig checkpoint;
  InitFromConfig init_from;
  ResumeConfig resume;
  ParallelConfig parallel;
  SftConfig sft;
  LossScaleConfig loss_scale;
  bool operator==(const Recipe&) const = default;

  // The final learning rate of decaying schedules.
  double min_lr() const { return schedule.min_lr ? *schedule.min_lr : schedule.min_lr_ratio * optim.lr; }
  // Tokens consumed by one optimizer step across all dp ranks: B * T * accum * dp.
  int64_t tokens_per_step(int dp) const {
    return int64_t(data.batch_size) * data.seq_len * data.grad_accum * dp;
  }
  // train.max_steps, or the steps that train.max_tokens needs (rounded up).
  int64_t total_steps(int dp) const;
};

// Reads a recipe file and applies `key.path=value` overrides (in order, later wins).
Recipe load_recipe(const std::string& path, const std::vector<std::string>& overrides = {});

// Same, from YAML text; `origin` names it in error messages (e.g. the file name)
// and its stem is the default run.name.
Recipe parse_recipe(const std::string& yaml_text, const std::string& origin,
                    const std::vector<std::string>& overrides = {});

// Re-resolves an already loaded recipe with more overrides.
Recipe with_overrides(const Recipe& recipe, const std::vector<std::string>& overrides);

// YAML text of the resolved recipe; parse_recipe(dump(r), ...) == r.
std::string dump(const Recipe& recipe);

// True when a command-line argument looks like a `key.path=value` override.
bool is_override(const std::string& arg);

// Every key path the schema knows ("optim.lr", "seed", ...), in dump order.
std::vector<std::string> recipe_keys();

const char* to_string(Precision p);
const char* to_string(DataOrder o);

}  // namespace forge::recipes
