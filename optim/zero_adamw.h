// ZeRO-1 AdamW: the optimizer state (exp_avg, exp_avg_sq) is sharded across
// the data-parallel ranks instead of being replicated.
//
// The parameters and their gradients live in flat buffers whose length is a
// multiple of the dp size (nn::FlatParameters with pad_multiple = dp). Rank r
// owns elements [r*S, (r+1)*S) with S = length / dp. One optimizer step is:
//   reduce_gradients()   reduce-scatter (avg) of the flat gradients: rank r
//                        receives the averaged gradient of its shard;
//   clip_grad_norm(max)  the global norm from every shard's sum of squares;
//   step()               AdamW on the shard (each parameter's piece with its
//                        group's weight decay), then all-gather of the updated
//                        shards into every rank's flat parameters.
// The arithmetic per element is the one AdamW does, so results equal the
// unsharded optimizer fed with all-reduced gradients.
#pragma once

#include <memory>
#include <vector>

#include "distributed/process_group.h"
#include "optim/optimizer.h"

namespace forge::optim {

class ZeroAdamW : public Optimizer {
 public:
  // groups: as for AdamW; every parameter must be a view of `flat_params`,
  // and its .grad the same view of `flat_grads`.
  ZeroAdamW(std::vector<ParamGroup> groups, AdamWOptions options, Tensor flat_params, Tensor flat_grads,
            std::shared_ptr<distributed::ProcessGroup> dp_group);

  // Reduce-scatter of the gradients (collective; call after backward).
  void reduce_gradients();
  // Global L2 norm of the averaged gradients; scales this rank's shard so the
  // norm is at most max_norm (no clipping when max_norm <= 0). Collective.
  double clip_grad_norm(double max_norm);
  // For a model spread over ranks (optim/grad_norm.h): the parameters named in
  // `uncounted` (replicas another rank counts) are left out of this rank's sum
  // of squares, and the dp-wide sums are added over `model_group` (tp x pp).
  void set_norm_scope(const std::vector<std::string>& uncounted,
                      std::shared_ptr<distributed::ProcessGroup> model_group);
  // Shard update and all-gather of the parameters (collective).
  void step() override;

  void gather_state() override;
  void load_state() override;

  int64_t shard_offset() const { return shard_offset_; }
  int64_t shard_size() const { return shard_size_; }

 private:
  // A parameter's piece inside this rank's shard.
  struct Segment {
    int64_t begin, end;  // in elements of the flat buffer, inside the shard
    float weight_decay;
    size_t slot;   // index into slots_
    bool counted;  // in the gradient norm (set_norm_scope)
  };
  // Whole-parameter ranges in the flat buffer, for gathering/loading state.
  struct Slot {
    std::string name;
    int64_t offset, numel;
    Shape shape;
  };

  AdamWOptions options_;
  Tensor flat_params_, flat_grads_;
  std::shared_ptr<distributed::ProcessGroup> dp_, model_group_;
  int64_t shard_offset_ = 0, shard_size_ = 0;
  Tensor grad_shard_, exp_avg_, exp_avg_sq_;  // (S,) each
  std::vector<Segment> segments_;
  std::vector<Slot> slots_;
};

}  // namespace forge::optim
