// Mixed precision for the model code: fp32 master parameters with bf16/f16
// working copies, and the autocast policy the layers follow (the full policy,
// op by op, and its reasons are in docs/mixed-precision.md).
//
// The parameters stay fp32 leaves in nn::FlatParameters, so the optimizer,
// its state, gradient clipping, the data-parallel all-reduce, ZeRO and the
// checkpoints see only fp32. WorkingWeights holds one low-precision flat
// buffer per fp32 buffer, same layout, refreshed from the masters after each
// optimizer step. While an Autocast is alive on a thread, the layers
// (nn/layers.h, nn/tensor_parallel.h, nn/transformer.h) compute in its dtype:
// they read their weights through compute_weight(), a view of the working
// copy whose gradient flows to the fp32 master, converted to fp32, so
// gradients accumulate in fp32 across micro-steps; and they cast incoming
// activations with to_compute(). The kernels widen 16-bit operands and keep
// their statistics and accumulations in fp32.
#pragma once

#include <unordered_map>
#include <utility>
#include <vector>

#include "nn/flat_parameters.h"

namespace forge::nn {

class WorkingWeights {
 public:
  // A `dtype` (bf16 or f16) copy of every fp32 buffer of `flat`, filled from the masters.
  WorkingWeights(const FlatParameters& flat, DType dtype);
  DType dtype() const { return dtype_; }
  // Rounds every master into its working copy (round to nearest even): after
  // each optimizer step and whenever the master weights are loaded.
  void refresh();
  // The working copy of parameter `master` (a view, no autograd); undefined
  // when `master` is not one of the flat parameters.
  Tensor find(const Tensor& master) const;

 private:
  DType dtype_;
  std::vector<std::pair<Tensor, Tensor>> buffers_;              // (fp32 masters, working copies), 1-d each
  mutable std::unordered_map<const TensorImpl*, Tensor> copies_;  // master parameter -> its working view (filled on first use)
};

// What the layers compute in: dtype, and the working copies to read (null:
// weights are cast on every use).
struct AutocastPolicy {
  DType dtype = DType::f32;
  const WorkingWeights* weights = nullptr;
};

// The policy active on this thread (f32, no working weights, when none is).
AutocastPolicy autocast_policy();

// Makes `policy` the thread's policy until destroyed (then restores the
// previous one; guards nest). The trainer holds one across each step's
// forward and backward, so activation checkpointing's recomputation runs under
// it too (TransformerLM also re-enters the policy its forward ran under).
class Autocast {
 public:
  explicit Autocast(AutocastPolicy policy);
  explicit Autocast(const WorkingWeights& weights) : Autocast(AutocastPolicy{weights.dtype(), &weights}) {}
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  AutocastPolicy previous_;
};

// The parameter as the layers use it: under a 16-bit policy its working copy
// (cached, or cast now when it has none), differentiable into the fp32 master;
// otherwise the parameter itself. Undefined stays undefined.
Tensor compute_weight(const Tensor& param);
// A floating activation in the policy's dtype (a differentiable cast when it
// differs); anything else unchanged.
Tensor to_compute(const Tensor& x);

}  // namespace forge::nn
