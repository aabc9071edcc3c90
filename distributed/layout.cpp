// Layout construction and the start-up check of world = dp × tp × pp (see layout.h).
#include "distributed/layout.h"

#include <sstream>

#include "distributed/world.h"

namespace forge::distributed {

std::string layout_mismatch(int world_size, int dp, int tp, int pp) {
  std::ostringstream os;
  if (tp < 1 || pp < 1 || dp < 0) {
    os << "parallel.dp, parallel.tp and parallel.pp must be positive (dp may be auto), got dp=" << dp << " tp=" << tp
       << " pp=" << pp;
  } else if (dp == 0 && world_size % (tp * pp) != 0) {
    os << "world size " << world_size << " is not divisible by parallel.tp×pp = " << tp << "×" << pp << " = "
       << tp * pp << " (parallel.dp is auto); launch a multiple of " << tp * pp << " ranks";
  } else if (dp > 0 && dp * tp * pp != world_size) {
    os << "world size " << world_size << " does not match parallel.dp×tp×pp = " << dp << "×" << tp << "×" << pp
       << " = " << dp * tp * pp << "; launch with mpirun -np " << dp * tp * pp
       << " or set parallel.dp=auto";
  }
  return os.str();
}

Layout Layout::create(std::shared_ptr<ProcessGroup> world, int dp, int tp, int pp) {
  FORGE_CHECK(world != nullptr, "Layout::create: no world group");
  const int n = world->size();
  // Agree on the verdict before throwing, so no rank is left in a collective.
  const std::string problem = layout_mismatch(n, dp, tp, pp);
  Tensor failed = Tensor::full({1}, problem.empty() ? 0.0 : 1.0);
  world->all_reduce(failed, ReduceOp::sum)->wait();
  if (failed.item() > 0) {
    throw UniformError(problem.empty() ? "the parallel layout was rejected on another rank (do all ranks read the "
                                         "same recipe?)"
                                       : problem);
  }
  Layout l;
  l.tp = tp;
  l.pp = pp;
  l.dp = dp == 0 ? n / (tp * pp) : dp;
  l.rank = world->rank();
  l.tp_rank = l.rank % tp;
  l.dp_rank = (l.rank / tp) % l.dp;
  l.pp_rank = l.rank / (tp * l.dp);
  l.world = world;
  // Colors name the fixed coordinates; keys order members by the varying one.
  l.tp_group = world->split(l.pp_rank * l.dp + l.dp_rank, l.tp_rank);
  l.dp_group = world->split(l.pp_rank * tp + l.tp_rank, l.dp_rank);
  l.pp_group = world->split(l.dp_rank * tp + l.tp_rank, l.pp_rank);
  return l;
}

std::string Layout::str() const {
  return "dp" + std::to_string(dp) + " x tp" + std::to_string(tp) + " x pp" + std::to_string(pp);
}

}  // namespace forge::distributed
