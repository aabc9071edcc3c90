// The memory a training run needs, estimated from the recipe before anything
// is allocated, against the memory the machine has: a model that cannot fit
// (`model.n_layer=1000000`) is an error naming both, instead of allocating
// until the kernel kills the process.
//
// The estimate is per process: fp32 weights and gradients (this rank's share
// under tensor/pipeline parallelism), optimizer state (AdamW: two moments;
// SGD: momentum when on; sharded over dp by ZeRO-1), and the activations one
// micro-batch keeps for backward (every block's, or only the block inputs
// with activation checkpointing, plus the logits and their gradient). It is
// meant as a lower bound on the peak (caching allocator, temporaries and the
// data are left out), so a refused run could never have fit. The machine's memory is MemTotal of /proc/meminfo, or the cgroup's
// memory limit when that is lower (containers, Slurm jobs), shared by the
// processes of this machine (OMPI_COMM_WORLD_LOCAL_SIZE under mpirun).
#pragma once

#include <cstdint>
#include <string>

#include "distributed/layout.h"
#include "nn/config.h"
#include "recipes/recipe.h"

namespace forge::recipes {

struct MemoryEstimate {
  int64_t parameters = 0;  // of the whole model
  double weights = 0, gradients = 0, optimizer = 0, activations = 0;  // bytes, this process
  double total() const { return weights + gradients + optimizer + activations; }
};

MemoryEstimate estimate_training_memory(const Recipe& recipe, const nn::ModelConfig& config,
                                        const distributed::Layout& layout);

struct MachineMemory {
  double total = 0;         // MemTotal, bytes
  double available = 0;     // MemAvailable, bytes
  double cgroup_limit = 0;  // the cgroup's memory limit, bytes; 0 = none
  int processes = 1;        // forge processes sharing it
  // What one process may use: min(MemTotal, cgroup limit) / processes.
  double per_process() const;
};

// /proc/meminfo and the cgroup (v2 memory.max, v1 memory.limit_in_bytes).
MachineMemory machine_memory();

// A forge::Error when `estimate` exceeds what one process may use. With
// `print`, a `memory:` line with the estimate, and a warning when it exceeds
// MemAvailable.
void check_training_memory(const MemoryEstimate& estimate, const MachineMemory& machine, bool print);

// "1.5 GB", "312 MB"
std::string format_bytes(double bytes);

}  // namespace forge::recipes
