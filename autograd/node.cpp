// Node bookkeeping, leaf accumulation and the record() helper ops use.
#include "autograd/node.h"

#include <atomic>

#include "autograd/grad_mode.h"
#include "autograd/ops/elementwise.h"

namespace forge {
namespace {
std::atomic<uint64_t> next_sequence_nr{0};
}

Node::Node() : sequence_nr(next_sequence_nr.fetch_add(1)) {}

std::vector<Tensor> FunctionNode::apply(std::vector<Tensor>&& grads) {
  FORGE_CHECK(backward_ != nullptr, "backward through " << name_
                                    << " a second time: its saved tensors were freed; pass retain_graph=true "
                                       "to the first backward");
  return backward_(grads);
}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>&& grads) {
  std::shared_ptr<TensorImpl> leaf = leaf_.lock();
  if (!leaf) return {};
  // An undefined gradient: everything already went straight into leaf.grad
  // (autograd::direct_grad_target); only the hooks remain.
  if (grads[0].defined()) {
    Tensor g = std::move(grads[0]);
    FORGE_CHECK(g.shape() == leaf->shape, "gradient of shape " << shape_str(g.shape())
                                                                << " reached a leaf of shape " << shape_str(leaf->shape));
    FORGE_CHECK(g.device() == leaf->storage->device(),
                "a gradient on " << g.device().str() << " reached a leaf on " << leaf->storage->device().str()
                                 << (leaf->name.empty() ? "" : " ('" + leaf->name + "')"));
    if (g.dtype() != leaf->dtype) g = g.to(leaf->dtype);
    if (leaf->grad) {
      // Accumulate in place: gradient accumulation over micro-batches allocates nothing.
      Tensor acc(leaf->grad);
      ops::add_(acc, g);
    } else if (g.impl_ptr().use_count() == 1 && g.impl().storage.use_count() == 1 && g.is_contiguous() &&
               g.nbytes() == g.impl().storage->nbytes() && !g.requires_grad()) {
      // Nobody else can see this tensor or its memory, and it is all of that
      // memory (not a view keeping a larger buffer alive): keep it, do not copy it.
      leaf->grad = g.impl_ptr();
    } else {
      // Own a copy: the same gradient tensor may flow to several leaves (add's
      // backward hands one tensor to both inputs) and is accumulated in place later.
      leaf->grad = g.clone().detach().impl_ptr();
    }
  }
  if (!leaf->grad) return {};
  Tensor final_grad(leaf->grad);
  for (const GradHook& hook : leaf->hooks) hook(final_grad);
  return {};
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined()) return {};
  TensorImpl& impl = t.impl();
  if (impl.grad_fn) return {impl.grad_fn, impl.output_nr};
  if (!impl.requires_grad) return {};
  if (!impl.grad_accumulator) {
    impl.grad_accumulator = std::make_shared<AccumulateGrad>(t.impl_ptr());
    impl.grad_accumulator->output_shapes = {impl.shape};  // lets the engine check gradient shapes
    impl.grad_accumulator->output_dtypes = {impl.dtype};
    impl.grad_accumulator->output_devices = {impl.storage->device()};
  }
  return {impl.grad_accumulator, 0};
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

void record(const char* op_name, const std::vector<Tensor>& inputs, std::vector<Tensor*> outputs,
            FunctionNode::Backward backward) {
  if (!any_requires_grad(inputs)) return;
  auto node = std::make_shared<FunctionNode>(op_name, std::move(backward));
  node->next_edges.reserve(inputs.size());
  for (const Tensor& t : inputs) node->next_edges.push_back(gradient_edge(t));
  node->num_outputs = static_cast<int>(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    TensorImpl& o = outputs[i]->impl();
    node->output_shapes.push_back(o.shape);
    node->output_dtypes.push_back(o.dtype);
    node->output_devices.push_back(o.storage->device());
    o.requires_grad = true;
    o.grad_fn = node;
    o.output_nr = static_cast<int>(i);
  }
}

}  // namespace forge
