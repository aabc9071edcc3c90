// The autograd tape: a Node per recorded op, linked to its inputs' producers.
//
// A Node receives one gradient per forward output and returns one gradient per
// forward input (an undefined Tensor where an input needs none). Edges point to
// the producing Node of each input, or to that leaf's AccumulateGrad node.
// Saved tensors live inside the Node (usually captured by the backward lambda)
// and are freed right after the Node runs unless the graph is retained.
//
// Rule for op authors: capture forward *outputs* as `out.detach()` — capturing
// the output itself would make output -> node -> output a reference cycle.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/tensor.h"

namespace forge {

class Node;

struct Edge {
  std::shared_ptr<Node> fn;
  int input_nr = 0;  // which output of fn this edge feeds
  bool valid() const { return fn != nullptr; }
};

class Node {
 public:
  Node();
  virtual ~Node() = default;
  virtual std::string name() const = 0;
  // grads: one per forward output (undefined when that output received none).
  virtual std::vector<Tensor> apply(std::vector<Tensor>&& grads) = 0;
  // Frees saved tensors once the node has run (when the graph is not retained).
  virtual void release_saved() {}

  std::vector<Edge> next_edges;  // one per forward input
  int num_outputs = 1;
  uint64_t sequence_nr;          // creation order; later nodes run first in backward
  // Shapes, dtypes and devices of the forward outputs: the engine passes zeros
  // of this shape, on this device, for an output that received no gradient
  // while a sibling did, and checks that arriving gradients match.
  std::vector<Shape> output_shapes;
  std::vector<DType> output_dtypes;
  std::vector<Device> output_devices;
};

// A node whose backward is a function (the usual way ops record themselves).
class FunctionNode : public Node {
 public:
  using Backward = std::function<std::vector<Tensor>(const std::vector<Tensor>& grads)>;
  FunctionNode(std::string name, Backward backward) : name_(std::move(name)), backward_(std::move(backward)) {}
  std::string name() const override { return name_; }
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  void release_saved() override { backward_ = nullptr; }

 private:
  std::string name_;
  Backward backward_;
};

// Terminal node of a leaf: sums incoming gradients into leaf.grad, then fires its hooks.
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf) : leaf_(leaf) {}
  std::string name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

// The edge a consumer of `t` should point to (producer node or leaf accumulator);
// invalid when t does not require grad.
Edge gradient_edge(const Tensor& t);

// True when ops should record a node for these inputs.
bool any_requires_grad(const std::vector<Tensor>& inputs);

// Records `backward` as the producer of `outputs`, if grad mode is on and any input
// requires grad. Inputs that are undefined or need no grad get no edge.
// backward receives one grad per output and returns one grad per input (in order).
void record(const char* op_name, const std::vector<Tensor>& inputs, std::vector<Tensor*> outputs,
            FunctionNode::Backward backward);
inline void record(const char* op_name, const std::vector<Tensor>& inputs, Tensor& output,
                   FunctionNode::Backward backward) {
  record(op_name, inputs, std::vector<Tensor*>{&output}, std::move(backward));
}

}  // namespace forge
