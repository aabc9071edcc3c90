// The backward pass: dependency counting plus a ready queue ordered by creation.
#include "autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops/elementwise.h"

namespace forge::autograd {
namespace {

struct ByNewest {
  bool operator()(Node* a, Node* b) const { return a->sequence_nr < b->sequence_nr; }
};

// What direct_grad_target needs from the backward pass running on this thread.
// Runs nest (activation checkpointing runs one inside a node), so each run
// saves and restores the pointer.
struct RunState {
  const std::unordered_map<Node*, size_t>* capture_index = nullptr;
  // Leaf accumulators that received a gradient straight into leaf.grad: they
  // must still run (and fire their hooks) even if no buffered gradient reaches them.
  std::unordered_set<Node*> accumulated_directly;
};
thread_local RunState* current_run = nullptr;

class CurrentRun {
 public:
  explicit CurrentRun(RunState* run) : saved_(current_run) { current_run = run; }
  ~CurrentRun() { current_run = saved_; }
  CurrentRun(const CurrentRun&) = delete;
  CurrentRun& operator=(const CurrentRun&) = delete;

 private:
  RunState* saved_;
};

std::vector<Tensor> run(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads,
                        const std::vector<Tensor>& captured, bool retain_graph) {
  FORGE_CHECK(roots.size() == root_grads.size(), "backward: got " << roots.size() << " roots but "
                                                   << root_grads.size() << " gradients");
  NoGradGuard no_grad;

  // Leaves whose gradients are returned rather than accumulated.
  std::unordered_map<Node*, size_t> capture_index;
  for (size_t i = 0; i < captured.size(); ++i) {
    FORGE_CHECK(captured[i].is_leaf() && captured[i].requires_grad(),
                "backward: captured tensor " << i << " must be a leaf that requires grad");
    capture_index[gradient_edge(captured[i]).fn.get()] = i;
  }
  std::vector<Tensor> captured_grads(captured.size());
  RunState state;
  state.capture_index = &capture_index;
  CurrentRun current(&state);

  // Count, for every reachable node, how many edges feed it.
  std::unordered_map<Node*, int> dependencies;
  std::unordered_map<Node*, std::shared_ptr<Node>> keep_alive;
  std::vector<Node*> stack;
  std::vector<Edge> root_edges;
  for (const Tensor& r : roots) {
    Edge e = gradient_edge(r);
    FORGE_CHECK(e.valid(), "backward: " << r.str() << " does not require grad and has no grad_fn");
    root_edges.push_back(e);
    if (!keep_alive.count(e.fn.get())) {
      keep_alive[e.fn.get()] = e.fn;
      stack.push_back(e.fn.get());
    }
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (capture_index.count(n)) continue;
    for (const Edge& e : n->next_edges) {
      if (!e.valid()) continue;
      ++dependencies[e.fn.get()];
      if (!keep_alive.count(e.fn.get())) {
        keep_alive[e.fn.get()] = e.fn;
        stack.push_back(e.fn.get());
      }
    }
  }

  // Gradient buffers: one slot per node output, summed as contributions arrive.
  std::unordered_map<Node*, std::vector<Tensor>> buffers;
  auto accumulate = [&](const Edge& e, Tensor g) {
    auto& buf = buffers[e.fn.get()];
    if (buf.empty()) buf.resize(e.fn->num_outputs);
    Tensor& slot = buf[e.input_nr];
    slot = slot.defined() ? ops::add(slot, g) : std::move(g);
  };
  std::priority_queue<Node*, std::vector<Node*>, ByNewest> ready;
  for (size_t i = 0; i < roots.size(); ++i) {
    Tensor g = root_grads[i];
    if (!g.defined()) {
      FORGE_CHECK(roots[i].numel() == 1, "backward: an implicit gradient needs a scalar root, got shape "
                                             << shape_str(roots[i].shape()));
      g = Tensor::ones(roots[i].shape(), roots[i].dtype(), roots[i].device());
    }
    FORGE_CHECK(g.shape() == roots[i].shape(), "backward: gradient shape " << shape_str(g.shape())
                                                   << " does not match root shape " << shape_str(roots[i].shape()));
    accumulate(root_edges[i], g);
  }
  std::unordered_set<Node*> queued;
  for (const Edge& e : root_edges) {
    if (dependencies[e.fn.get()] == 0 && queued.insert(e.fn.get()).second) ready.push(e.fn.get());
  }

  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    std::vector<Tensor> grads = std::move(buffers[n]);
    buffers.erase(n);
    grads.resize(n->num_outputs);
    auto cap = capture_index.find(n);
    if (cap != capture_index.end()) {
      captured_grads[cap->second] = grads[0];
      continue;
    }
    std::vector<Tensor> input_grads;
    bool any_grad = false;
    for (const Tensor& g : grads) any_grad = any_grad || g.defined();
    if (any_grad) {
      for (int k = 0; k < n->num_outputs; ++k) {
        if (!grads[k].defined() && k < static_cast<int>(n->output_shapes.size()))
          grads[k] = Tensor::zeros(n->output_shapes[k], n->output_dtypes[k], n->output_devices[k]);
      }
      input_grads = n->apply(std::move(grads));
    } else if (state.accumulated_directly.count(n)) {
      input_grads = n->apply(std::move(grads));  // a leaf whose gradient is already in .grad: fire its hooks
    } else {
      input_grads.resize(n->next_edges.size());
    }
    if (!retain_graph) n->release_saved();
    FORGE_CHECK(input_grads.size() == n->next_edges.size(),
                "backward of " << n->name() << " returned " << input_grads.size() << " gradients for "
                               << n->next_edges.size() << " inputs");
    for (size_t i = 0; i < input_grads.size(); ++i) {
      const Edge& e = n->next_edges[i];
      if (!e.valid()) continue;
      if (input_grads[i].defined()) {
        // The target node knows the shape it expects (forward output, or the leaf's shape).
        const auto& want = e.fn->output_shapes;
        FORGE_CHECK(static_cast<size_t>(e.input_nr) >= want.size() || input_grads[i].shape() == want[e.input_nr],
                    "backward of " << n->name() << " returned a gradient of shape "
                                   << shape_str(input_grads[i].shape()) << " for input " << i << " of shape "
                                   << shape_str(want[e.input_nr]));
        const auto& devices = e.fn->output_devices;
        FORGE_CHECK(static_cast<size_t>(e.input_nr) >= devices.size() ||
                        input_grads[i].device() == devices[e.input_nr],
                    "backward of " << n->name() << " returned a gradient on " << input_grads[i].device().str()
                                   << " for input " << i << " on " << devices[e.input_nr].str());
        accumulate(e, std::move(input_grads[i]));
      }
      if (--dependencies[e.fn.get()] == 0 && queued.insert(e.fn.get()).second) ready.push(e.fn.get());
    }
  }
  return captured_grads;
}

}  // namespace

Tensor direct_grad_target(const Tensor& leaf) {
  if (current_run == nullptr || !leaf.defined() || !leaf.is_leaf() || !leaf.requires_grad()) return {};
  TensorImpl& impl = leaf.impl();
  if (!impl.grad_accumulator || current_run->capture_index->count(impl.grad_accumulator.get())) return {};
  if (!impl.grad) return {};
  Tensor grad(impl.grad);
  if (grad.dtype() != leaf.dtype() || grad.shape() != leaf.shape() || !grad.is_contiguous()) return {};
  current_run->accumulated_directly.insert(impl.grad_accumulator.get());
  return grad;
}

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads, bool retain_graph) {
  run(roots, root_grads, {}, retain_graph);
}

std::vector<Tensor> backward_capturing(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads,
                                       const std::vector<Tensor>& captured, bool retain_graph) {
  return run(roots, root_grads, captured, retain_graph);
}

}  // namespace forge::autograd
