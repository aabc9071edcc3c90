// The divergence guard's verdicts, rollback bookkeeping and test hook (see divergence_guard.h).
#include "train/divergence_guard.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "train/rank_values.h"

namespace forge::recipes {
namespace {

// "N[,N...]" and "A-B" items of FORGE_TEST_NAN_AT as inclusive ranges.
std::vector<std::pair<int64_t, int64_t>> parse_nan_at() {
  std::vector<std::pair<int64_t, int64_t>> out;
  const char* env = std::getenv("FORGE_TEST_NAN_AT");
  if (!env || !*env) return out;
  const std::string spec = env;
  std::stringstream items(spec);
  std::string item;
  auto number = [&](const std::string& text) {
    size_t used = 0;
    int64_t n = 0;
    try {
      n = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    FORGE_CHECK(used == text.size() && !text.empty() && n >= 1,
                "FORGE_TEST_NAN_AT='" << spec << "': '" << text << "' is not a step number (expected N[,N...] or A-B)");
    return n;
  };
  while (std::getline(items, item, ',')) {
    const size_t dash = item.find('-');
    if (dash == std::string::npos) {
      const int64_t n = number(item);
      out.emplace_back(n, n);
    } else {
      out.emplace_back(number(item.substr(0, dash)), number(item.substr(dash + 1)));
    }
  }
  return out;
}

std::string hint(double grad_clip) {
  return grad_clip > 0 ? "lower optim.lr" : "lower optim.lr or enable optim.grad_clip";
}

}  // namespace

DivergenceGuard::DivergenceGuard(const Recipe& recipe, const distributed::Layout& layout)
    : options_(recipe.train), grad_clip_(recipe.optim.grad_clip), layout_(layout), nan_at_(parse_nan_at()) {}

bool DivergenceGuard::test_nan_due(int64_t window) const {
  for (const auto& [first, last] : nan_at_)
    if (window + 1 >= first && window + 1 <= last) return true;
  return false;
}

std::string DivergenceGuard::spike(double loss, const std::vector<double>& recent) const {
  if (options_.spike_zscore <= 0 || static_cast<int64_t>(recent.size()) < options_.spike_window) return "";
  double mean = 0.0;
  for (double l : recent) mean += l;
  mean /= static_cast<double>(recent.size());
  double var = 0.0;
  for (double l : recent) var += (l - mean) * (l - mean);
  const double sd = std::sqrt(var / static_cast<double>(recent.size()));
  if (!(sd > 0) || (loss - mean) / sd <= options_.spike_zscore) return "";
  std::ostringstream os;
  os << "loss spike: loss " << loss << " is " << (loss - mean) / sd << " standard deviations above the mean "
     << mean << " of the last " << recent.size() << " steps (train.spike_zscore " << options_.spike_zscore << ")";
  return os.str();
}

GuardCheck DivergenceGuard::check(const StepResult& result, TrainingState& state, bool loss_scaled) {
  const bool loss_finite = std::isfinite(result.loss);
  if (any_rank(layout_, !(loss_finite && std::isfinite(result.grad_norm)))) {
    std::ostringstream why;
    if (!loss_finite) why << "loss is " << result.loss;
    else why << "gradient norm is " << result.grad_norm << " (loss " << result.loss << ")";
    if (loss_scaled && loss_finite) {  // the loss scaler's overflow: its business, not divergence
      ++state.skipped_steps;
      return {StepVerdict::skip, "gradients overflowed at the current loss scale"};
    }
    return bad_step(why.str(), result.step, state);
  }
  if (std::string why = spike(result.loss, state.recent_losses); !why.empty()) return bad_step(why, result.step, state);
  state.bad_steps = 0;
  if (options_.spike_zscore > 0) {
    state.recent_losses.push_back(result.loss);
    if (static_cast<int64_t>(state.recent_losses.size()) > options_.spike_window)
      state.recent_losses.erase(state.recent_losses.begin());
  }
  return {};
}

GuardCheck DivergenceGuard::bad_step(const std::string& reason, int64_t step, TrainingState& state) const {
  FORGE_CHECK(options_.on_bad_step != BadStepAction::abort,
              "training diverged at step " << step << ": " << reason << " (" << hint(grad_clip_)
                                           << "; train.on_bad_step: skip skips such steps)");
  ++state.skipped_steps;
  ++state.bad_steps;
  return {state.bad_steps >= options_.max_bad_steps ? StepVerdict::rollback : StepVerdict::skip, reason};
}

void DivergenceGuard::begin_rollback(const std::string& path, int64_t at_step) {
  FORGE_CHECK(!path.empty(), "training diverged: " << options_.max_bad_steps << " bad steps in a row up to step "
                                                   << at_step << " and no checkpoint to roll back to yet ("
                                                   << hint(grad_clip_) << ", or save earlier: checkpoint.interval)");
  FORGE_CHECK(path != rolled_back_to_,
              "training diverged: " << options_.max_bad_steps << " bad steps in a row up to step " << at_step
                                    << " again after rolling back to '" << path << "' once already; the run does "
                                    << "not get past them (" << hint(grad_clip_)
                                    << ", or resume from an earlier checkpoint with resume=PATH)");
  rolled_back_to_ = path;
}

TrainingState DivergenceGuard::after_rollback(TrainingState restored, const TrainingState& before) {
  restored.loader_step = before.loader_step;
  restored.skipped_steps = before.skipped_steps;
  restored.bad_steps = 0;
  return restored;
}

}  // namespace forge::recipes
