// Checkpoints: the HDF5 `step_<N>.h5` files of DESIGN.md ("Checkpoint"), how
// they are written crash-safely and how they are read back and verified.
//
// Layout (readable with h5py):
//   /model/<hf name>                  fp32, full logical shape, nn.Linear layout
//   /optim/<hf name>/<state>          e.g. exp_avg, exp_avg_sq (fp32)
//   /optim  attributes                name ("adamw"|"sgd"), step_count, lr
//   /state  attributes + datasets     step, tokens_seen, rng states, loader position, loss scaler, layout,
//                                     divergence guard (skipped/bad steps, recent losses)
//   /config attributes                model config fields, `recipe` (resolved recipe YAML text)
// Every tensor dataset is contiguous with a `crc32c` attribute (format version
// 2; version-1 files, chunked with HDF5's Fletcher-32 filter, are still read);
// a mismatch on read is a forge::Error naming the dataset and the file.
//
// Writing goes to `<path>.tmp`, is flushed (H5Fflush + fsync) and renamed over
// `<path>`; the run's `latest` file (the newest complete checkpoint's file
// name) is replaced the same way only after that, so a crash at any moment
// leaves the previous checkpoint and `latest` intact.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "nn/config.h"

namespace forge::recipes {

// Everything besides weights and optimizer state that exact resume needs.
struct TrainingState {
  int64_t step = 0;         // optimizer steps completed
  int64_t tokens_seen = 0;
  uint64_t dropout_seed = 0;    // Generator state of the dropout stream
  uint64_t dropout_offset = 0;
  int64_t loader_step = 0;      // the data loader's position (its next global step)
  double loss_scale = 1.0;      // fp16 dynamic loss scaler (when loss_scaling)
  int64_t loss_scale_good_steps = 0;
  int dp = 1, tp = 1, pp = 1;   // layout it was written under (informational; tensors are whole)
  bool loss_scaling = false;    // written by a run with fp16's dynamic loss scaling
  int64_t skipped_steps = 0;    // steps skipped so far (fp16 overflow, divergence guard)
  // Divergence guard (train/divergence_guard.h); absent in older files (zero / empty).
  int64_t bad_steps = 0;              // consecutive bad steps ending at `step`
  std::vector<double> recent_losses;  // loss-spike window: losses of the last applied steps, oldest first
};

struct CheckpointContents {
  nn::ModelConfig model_config;
  std::string recipe_yaml;                     // resolved recipe text ("" when unknown, e.g. imported)
  std::vector<std::pair<std::string, Tensor>> model;  // name -> fp32 tensor, in model order
  std::string optimizer_name;                  // "" when the file holds no optimizer state
  int64_t optimizer_step_count = 0;
  double optimizer_lr = 0.0;
  std::map<std::string, Tensor> optimizer_state;  // "<param name>/<state name>" -> tensor
  TrainingState state;
};

// Writes `contents` to `path` crash-safely (tmp + fsync + rename). Throws
// forge::Error naming the path on any I/O failure (unwritable dir, disk full);
// the temporary file is removed and any existing `path` is left untouched.
void save_checkpoint(const std::string& path, const CheckpointContents& contents);

// Reads and verifies a checkpoint. `with_optimizer=false` skips the optimizer
// state (init_from, sample, convert). Truncated/corrupt/non-HDF5/non-forge files
// are forge::Error naming the file and what was wrong.
CheckpointContents load_checkpoint(const std::string& path, bool with_optimizer = true);

// What `forge inspect` shows: the metadata plus every dataset's name, shape and
// checksum verdict. Unlike load_checkpoint it reads every dataset even after a
// failure, so all corrupt ones are reported. Errors that make the file
// unreadable as a whole (missing, not HDF5, not a forge checkpoint, truncated)
// still throw.
struct DatasetStatus {
  std::string name;   // "/model/<name>" or "/optim/<name>/<state>"
  Shape shape;
  std::string error;  // "" when the data read back and its checksum matched
};
struct CheckpointReport {
  nn::ModelConfig model_config;
  std::string recipe_yaml;
  std::string optimizer_name;
  int64_t optimizer_step_count = 0;
  TrainingState state;
  std::vector<DatasetStatus> datasets;  // /model first, then /optim
  int64_t num_parameters = 0;           // elements under /model
};
CheckpointReport verify_checkpoint(const std::string& path);

// "n_embd: 32 vs 64"-style lines, one per field where the configs differ; empty when equal.
std::vector<std::string> model_config_differences(const nn::ModelConfig& a, const nn::ModelConfig& b);

// Run-directory helpers: `<run_dir>/checkpoints/step_<N>.h5` and `latest`.
std::string checkpoint_path(const std::string& run_dir, int64_t step);
// Atomically points `<run_dir>/checkpoints/latest` at `step_<N>.h5`.
void write_latest(const std::string& run_dir, int64_t step);
// The checkpoint `latest` names, or "" when the run has none; a `latest` that
// names a missing file is an error.
std::string latest_checkpoint(const std::string& run_dir);
// Every `<run_dir>/checkpoints/step_<N>.h5`, newest (highest N) first.
std::vector<std::string> list_checkpoints(const std::string& run_dir);
// Deletes all but the newest `keep_last` step_<N>.h5 files (0 keeps all).
void prune_checkpoints(const std::string& run_dir, int keep_last);

}  // namespace forge::recipes
