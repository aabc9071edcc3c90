// Optimizers over parameter groups: AdamW (decoupled weight decay, bias
// correction) and SGD with momentum, plus global-norm gradient clipping, and the
// registry that builds an optimizer from its name (a recipe's optim.name).
//
// Parameters are fp32 leaves (the master weights); each group has its own
// weight decay, so biases, norms and embeddings can be excluded from decay.
// Optimizer state is kept per parameter and exposed by name for checkpoints.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "kernels/types.h"

namespace forge::optim {

struct ParamGroup {
  std::vector<std::string> names;  // parallel to params; used to name state in checkpoints
  std::vector<Tensor> params;
  double weight_decay = 0.0;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update from the parameters' current .grad (parameters without a grad are skipped).
  virtual void step() = 0;
  void zero_grad();
  void set_lr(double lr) { lr_ = lr; }
  double lr() const { return lr_; }
  int64_t step_count() const { return step_count_; }
  void set_step_count(int64_t n) { step_count_ = n; }
  const std::vector<ParamGroup>& groups() const { return groups_; }
  // State tensors by "<param name>/<state name>" (e.g. "h.0.attn.c_attn.weight/exp_avg"),
  // created on first use; loading a checkpoint writes into them.
  std::map<std::string, Tensor>& state() { return state_; }
  // Sharded optimizers (ZeRO-1, optim/zero_adamw.h) hold only this rank's share
  // of the state. Before a checkpoint is saved, gather_state() (collective over
  // the data-parallel group) makes state() hold every parameter's whole state;
  // after state() was filled from a checkpoint, load_state() takes this rank's
  // share of it. Both are no-ops for optimizers that keep whole state.
  virtual void gather_state() {}
  virtual void load_state() {}

 protected:
  Optimizer(std::vector<ParamGroup> groups, double lr);
  Tensor& state_for(const std::string& param, const std::string& what, const Tensor& like);

  std::vector<ParamGroup> groups_;
  double lr_;
  int64_t step_count_ = 0;
  std::map<std::string, Tensor> state_;
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

// The AdamW kernel's hyper-parameters for update number `step` (from 1) at
// learning rate `lr`, weight_decay left 0 (set per group); shared by AdamW and
// ZeRO-1 AdamW (optim/zero_adamw.h) so both do the same arithmetic.
kernels::AdamWHyper adamw_hyper(const AdamWOptions& options, double lr, int64_t step);

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options);
  void step() override;
  const AdamWOptions& options() const { return options_; }

 private:
  AdamWOptions options_;
};

struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0.0;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<ParamGroup> groups, SGDOptions options);
  void step() override;

 private:
  SGDOptions options_;
};

// What a recipe's `optim` section gives every optimizer; each reads the fields it uses.
struct OptimizerOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adamw
  double momentum = 0.0;                          // sgd
};

using OptimizerBuilder =
    std::function<std::unique_ptr<Optimizer>(std::vector<ParamGroup> groups, const OptimizerOptions& options)>;

// The optimizer registry: name -> builder; "adamw" and "sgd" are built in.
// Registering a name twice is a forge::Error (nothing is replaced).
void register_optimizer(const std::string& name, OptimizerBuilder builder);
// The optimizer `name` over `groups`; an unknown name is a forge::Error listing the registered ones.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<ParamGroup> groups,
                                          const OptimizerOptions& options);
// Registered names, sorted.
std::vector<std::string> optimizer_names();

// Scales all gradients so their global L2 norm is at most max_norm (no-op when
// max_norm <= 0). Returns the norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace forge::optim
