// Dynamic loss scaling (see loss_scaler.h).
#include "optim/loss_scaler.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops/elementwise.h"

namespace forge::optim {

LossScaler::LossScaler(LossScalerOptions options) : options_(options) {
  FORGE_CHECK(std::isfinite(options_.initial_scale) && options_.initial_scale > 0.0,
              "loss scaler: initial_scale must be a positive number, got " << options_.initial_scale);
  FORGE_CHECK(options_.growth_interval >= 1,
              "loss scaler: growth_interval must be >= 1, got " << options_.growth_interval);
  FORGE_CHECK(options_.growth_factor >= 1.0, "loss scaler: growth_factor must be >= 1, got " << options_.growth_factor);
  FORGE_CHECK(options_.backoff_factor > 0.0 && options_.backoff_factor < 1.0,
              "loss scaler: backoff_factor must be in (0, 1), got " << options_.backoff_factor);
  FORGE_CHECK(options_.min_scale > 0.0, "loss scaler: min_scale must be positive, got " << options_.min_scale);
  state_.scale = options_.enabled ? options_.initial_scale : 1.0;
}

void LossScaler::unscale(const std::vector<Tensor>& grads) const {
  if (state_.scale == 1.0) return;
  NoGradGuard no_grad;
  for (Tensor g : grads)
    if (g.defined()) ops::mul_scalar_(g, 1.0 / state_.scale);
}

bool LossScaler::update(double grad_norm) {
  if (!std::isfinite(grad_norm)) {
    ++state_.skipped_steps;
    state_.good_steps = 0;
    if (options_.enabled) state_.scale = std::max(options_.min_scale, state_.scale * options_.backoff_factor);
    return false;
  }
  if (options_.enabled && ++state_.good_steps >= options_.growth_interval) {
    const double grown = state_.scale * options_.growth_factor;
    if (std::isfinite(grown)) state_.scale = grown;
    state_.good_steps = 0;
  }
  return true;
}

void LossScaler::set_state(const LossScalerState& state) {
  FORGE_CHECK(std::isfinite(state.scale) && state.scale > 0.0,
              "loss scaler state: scale must be a positive number, got " << state.scale);
  FORGE_CHECK(state.good_steps >= 0 && state.skipped_steps >= 0,
              "loss scaler state: negative step counts (good " << state.good_steps << ", skipped "
                                                               << state.skipped_steps << ")");
  state_ = state;
  if (!options_.enabled) state_.scale = 1.0;  // a run resumed under bf16/fp32 from an fp16 checkpoint
}

}  // namespace forge::optim
