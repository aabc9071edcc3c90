// Dynamic loss scaling for fp16 training (docs/mixed-precision.md).
//
// fp16 has 5 exponent bits: gradients below ~6e-8 flush to zero and values
// above 65504 overflow. The loss is multiplied by `scale` before backward so
// small gradients stay representable; the fp32 master gradients are divided
// by it again (unscale) before clipping and the optimizer. Scales are powers
// of two, so scaling and unscaling are exact (barring underflow).
//
// A step whose gradients hold inf or NaN is skipped: the weights and the
// optimizer state are left untouched and the scale is multiplied by
// `backoff_factor`. After `growth_interval` consecutive good steps the scale
// is multiplied by `growth_factor`. The decision is made from the global
// gradient norm, which every rank of every layout computes identically (an
// inf or NaN anywhere makes it non-finite), so all ranks skip together.
//
// bf16 and fp32 need no scaling; a disabled scaler has scale 1 and never
// changes it, but still reports (and counts) non-finite steps, so the same
// skip mechanism serves every precision.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.h"

namespace forge::optim {

struct LossScalerOptions {
  bool enabled = false;           // dynamic scaling on (fp16); off: scale stays 1
  double initial_scale = 65536.0;  // 2^16, torch.amp's and Megatron's default
  int64_t growth_interval = 2000;  // good steps before the scale grows
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  double min_scale = 1.0;          // the scale never backs off below this
};

// What a checkpoint keeps of the scaler (/state).
struct LossScalerState {
  double scale = 1.0;
  int64_t good_steps = 0;     // consecutive finite steps since the last change of scale
  int64_t skipped_steps = 0;  // steps skipped so far in the run
};

class LossScaler {
 public:
  // Throws forge::Error naming the option when a value is out of range.
  explicit LossScaler(LossScalerOptions options);

  bool enabled() const { return options_.enabled; }
  // The factor the loss is multiplied by before backward (1 when disabled).
  double scale() const { return state_.scale; }
  int64_t skipped_steps() const { return state_.skipped_steps; }

  // Divides each (fp32) gradient by scale(), in place; a no-op at scale 1.
  void unscale(const std::vector<Tensor>& grads) const;
  // Records the outcome of a step from the global norm of its unscaled
  // gradients: returns true when the optimizer should step (the norm is
  // finite), false when the step must be skipped. Adjusts the scale.
  bool update(double grad_norm);

  const LossScalerState& state() const { return state_; }
  // Restores a checkpointed state (forge::Error when it is not a valid one).
  void set_state(const LossScalerState& state);

 private:
  LossScalerOptions options_;
  LossScalerState state_;
};

}  // namespace forge::optim
