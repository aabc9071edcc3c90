// Module: a named tree of parameters, buffers and submodules.
//
// Parameters are registered in construction order; named_parameters() walks
// the tree depth-first in that order, joining names with '.', which gives the
// stable order and the Hugging Face names checkpoints and optimizers rely on.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"

namespace forge::nn {

using NamedTensor = std::pair<std::string, Tensor>;

// How the parameter a rank holds relates to the whole (logical) tensor that
// checkpoints store, for tensor and pipeline parallelism (nn/tensor_parallel.h).
// Along `dim` the whole tensor is a run of `segments` (their sizes); each is
// cut into `parts` equal pieces and this rank holds piece `part` of every
// segment, concatenated (GPT-2's fused c_attn is three segments q, k, v). dim
// -1: the rank holds the whole tensor (replicated). `duplicate`: another
// pipeline stage holds the copy that checkpoints and the gradient norm count
// (GPT-2's tied embedding on the last stage).
struct ShardSpec {
  int64_t dim = -1;
  std::vector<int64_t> segments;
  int part = 0, parts = 1;
  bool duplicate = false;
  bool sharded() const { return dim >= 0 && parts > 1; }
};
using NamedShardSpec = std::pair<std::string, ShardSpec>;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // All parameters of this module and its children, "child.sub.name" order-stable.
  std::vector<NamedTensor> named_parameters() const;
  std::vector<Tensor> parameters() const;
  std::vector<NamedTensor> named_buffers() const;
  // The ShardSpec of every parameter, in named_parameters() order.
  std::vector<NamedShardSpec> named_shard_specs() const;
  int64_t num_parameters() const;
  // Parameter by full name; forge::Error listing close names when absent.
  Tensor parameter(const std::string& name) const;

  // Moves every parameter and buffer to `device` in place (every holder of a
  // handle sees the new storage); gradients are dropped. Call before
  // FlatParameters and the optimizer are built.
  void to(Device device);
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

 protected:
  // Registers `value` as a trainable leaf; returns the same handle. `spec`
  // says which piece of the whole tensor it is (default: all of it).
  Tensor register_parameter(const std::string& name, Tensor value, ShardSpec spec = {});
  Tensor register_buffer(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void collect(const std::string& prefix, bool buffers, std::vector<NamedTensor>& out) const;
  void collect_specs(const std::string& prefix, std::vector<NamedShardSpec>& out) const;

  std::vector<NamedTensor> params_;
  std::vector<ShardSpec> specs_;  // parallel to params_
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace forge::nn
