// Recompute-in-backward node for activation checkpointing (see checkpoint.h).
#include "autograd/checkpoint.h"

#include <utility>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"

namespace forge::autograd {
namespace {

class CheckpointNode : public Node {
 public:
  CheckpointNode(BlockFn fn, std::vector<Tensor> inputs, std::vector<Generator*> rngs,
                 std::vector<std::pair<uint64_t, uint64_t>> rng_states)
      : fn_(std::move(fn)), inputs_(std::move(inputs)), rngs_(std::move(rngs)), rng_states_(std::move(rng_states)) {}

  std::string name() const override { return "Checkpoint"; }

  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    FORGE_CHECK(fn_ != nullptr, "backward through a checkpointed block a second time: pass retain_graph=true");
    // Detached copies of the inputs become the leaves of the recomputed graph.
    std::vector<Tensor> leaves;
    std::vector<Tensor> captured;
    for (const Tensor& x : inputs_) {
      if (!x.defined()) {
        leaves.emplace_back();
        continue;
      }
      Tensor d = x.detach();
      if (x.requires_grad()) {
        d.set_requires_grad(true);
        captured.push_back(d);
      }
      leaves.push_back(d);
    }
    // Replay the random streams from their forward-time state, then put them back.
    std::vector<std::pair<uint64_t, uint64_t>> now;
    for (size_t i = 0; i < rngs_.size(); ++i) {
      now.emplace_back(rngs_[i]->seed(), rngs_[i]->offset());
      rngs_[i]->set_state(rng_states_[i].first, rng_states_[i].second);
    }
    std::vector<Tensor> outs;
    {
      EnableGradGuard grad_on;
      outs = fn_(leaves);
    }
    for (size_t i = 0; i < rngs_.size(); ++i) rngs_[i]->set_state(now[i].first, now[i].second);

    std::vector<Tensor> roots, root_grads;
    for (size_t i = 0; i < outs.size() && i < grads.size(); ++i) {
      if (grads[i].defined() && outs[i].requires_grad()) {
        roots.push_back(outs[i]);
        root_grads.push_back(grads[i]);
      }
    }
    std::vector<Tensor> got = roots.empty() ? std::vector<Tensor>(captured.size())
                                            : backward_capturing(roots, root_grads, captured);
    std::vector<Tensor> result;
    size_t ci = 0;
    for (const Tensor& x : inputs_) result.push_back(x.defined() && x.requires_grad() ? got[ci++] : Tensor());
    return result;
  }

  void release_saved() override {
    fn_ = nullptr;
    inputs_.clear();
  }

 private:
  BlockFn fn_;
  std::vector<Tensor> inputs_;
  std::vector<Generator*> rngs_;
  std::vector<std::pair<uint64_t, uint64_t>> rng_states_;
};

}  // namespace

std::vector<Tensor> checkpoint(const BlockFn& fn, const std::vector<Tensor>& inputs,
                               const std::vector<Generator*>& rngs) {
  if (!GradMode::is_enabled()) return fn(inputs);
  std::vector<std::pair<uint64_t, uint64_t>> rng_states;
  for (Generator* g : rngs) rng_states.emplace_back(g->seed(), g->offset());
  std::vector<Tensor> outs;
  {
    NoGradGuard no_grad;
    outs = fn(inputs);
  }
  // The node is recorded even when no input requires grad: parameters inside fn may.
  auto node = std::make_shared<CheckpointNode>(fn, inputs, rngs, std::move(rng_states));
  for (const Tensor& x : inputs) node->next_edges.push_back(gradient_edge(x));
  node->num_outputs = static_cast<int>(outs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    // Outputs may alias inputs (a block returning its input); give each its own handle.
    outs[i] = outs[i].detach();
    TensorImpl& o = outs[i].impl();
    node->output_shapes.push_back(o.shape);
    node->output_dtypes.push_back(o.dtype);
    node->output_devices.push_back(o.storage->device());
    o.requires_grad = is_floating(o.dtype);
    o.grad_fn = node;
    o.output_nr = static_cast<int>(i);
  }
  return outs;
}

}  // namespace forge::autograd
