// The dp × tp × pp layout of a job: which data-, tensor- and pipeline-parallel
// coordinate each rank has, and a process group per axis.
//
// Rank placement (docs/distributed.md): tp varies fastest, then dp, then pp:
//   world rank = pp_rank * (dp * tp) + dp_rank * tp + tp_rank
// so the ranks of a tensor-parallel group (the chattiest) are neighbours, on
// one machine when tp divides the ranks per node; a pipeline stage is a
// contiguous block of dp * tp ranks.
#pragma once

#include <memory>
#include <string>

#include "distributed/process_group.h"

namespace forge::distributed {

struct Layout {
  int dp = 1, tp = 1, pp = 1;
  int rank = 0;  // world rank
  int dp_rank = 0, tp_rank = 0, pp_rank = 0;
  std::shared_ptr<ProcessGroup> world;
  std::shared_ptr<ProcessGroup> dp_group;  // same (tp, pp): replicas that all-reduce gradients
  std::shared_ptr<ProcessGroup> tp_group;  // same (dp, pp): shards of one layer
  std::shared_ptr<ProcessGroup> pp_group;  // same (dp, tp): the stages of one pipeline

  // Builds the layout for `world` (collective). dp == 0 means auto:
  // world size / (tp * pp). A world size that does not match is a UniformError
  // on every rank (the ranks agree on it before any of them throws).
  static Layout create(std::shared_ptr<ProcessGroup> world, int dp, int tp, int pp);

  // World rank of the given coordinates.
  int rank_of(int dp_rank, int tp_rank, int pp_rank) const { return (pp_rank * dp + dp_rank) * tp + tp_rank; }
  // "dp2 x tp1 x pp1"
  std::string str() const;
};

// The message for a world size that cannot host dp × tp × pp ("" when it can).
std::string layout_mismatch(int world_size, int dp, int tp, int pp);

}  // namespace forge::distributed
