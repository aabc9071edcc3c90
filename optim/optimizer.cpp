// AdamW, SGD, gradient clipping over fp32 parameters and the optimizer registry (see optimizer.h).
#include "optim/optimizer.h"

#include <cmath>
#include <mutex>

#include "autograd/dispatch.h"
#include "optim/grad_norm.h"

namespace forge::optim {
namespace {
void check_param(const std::string& name, const Tensor& p) {
  FORGE_CHECK(p.dtype() == DType::f32 && p.is_contiguous(),
              "optimizer: parameter '" << name << "' must be a contiguous f32 tensor (master weights), got "
                                       << p.str());
}
}  // namespace

Optimizer::Optimizer(std::vector<ParamGroup> groups, double lr) : groups_(std::move(groups)), lr_(lr) {
  for (ParamGroup& g : groups_) {
    if (g.names.empty()) {
      for (size_t i = 0; i < g.params.size(); ++i) g.names.push_back("param" + std::to_string(i));
    }
    FORGE_CHECK(g.names.size() == g.params.size(), "optimizer: a parameter group has " << g.names.size()
                                                       << " names for " << g.params.size() << " parameters");
    for (size_t i = 0; i < g.params.size(); ++i) check_param(g.names[i], g.params[i]);
  }
}

void Optimizer::zero_grad() {
  for (ParamGroup& g : groups_)
    for (Tensor& p : g.params) p.zero_grad();
}

Tensor& Optimizer::state_for(const std::string& param, const std::string& what, const Tensor& like) {
  auto [it, inserted] = state_.try_emplace(param + "/" + what);
  if (inserted) {
    it->second = Tensor::zeros(like.shape(), DType::f32, like.device());
  } else if (it->second.device() != like.device()) {
    it->second = it->second.detach().to(like.device());  // loaded from a checkpoint (host memory)
  }
  return it->second;
}

kernels::AdamWHyper adamw_hyper(const AdamWOptions& o, double lr, int64_t step) {
  kernels::AdamWHyper h{};
  h.lr = static_cast<float>(lr);
  h.beta1 = static_cast<float>(o.beta1);
  h.beta2 = static_cast<float>(o.beta2);
  h.eps = static_cast<float>(o.eps);
  h.bias_correction1 = static_cast<float>(1.0 - std::pow(o.beta1, static_cast<double>(step)));
  h.bias_correction2 = static_cast<float>(1.0 - std::pow(o.beta2, static_cast<double>(step)));
  return h;
}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : Optimizer(std::move(groups), options.lr), options_(options) {}

void AdamW::step() {
  ++step_count_;
  kernels::AdamWHyper h = adamw_hyper(options_, lr_, step_count_);
  for (ParamGroup& g : groups_) {
    h.weight_decay = static_cast<float>(g.weight_decay);
    for (size_t i = 0; i < g.params.size(); ++i) {
      Tensor& p = g.params[i];
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      grad = grad.to(DType::f32).contiguous();
      Tensor& m = state_for(g.names[i], "exp_avg", p);
      Tensor& v = state_for(g.names[i], "exp_avg_sq", p);
      op_kernels("AdamW", p, grad, m, v)
          .optimizer.adamw_step(p.data<float>(), grad.data<float>(), m.data<float>(), v.data<float>(), p.numel(), h);
    }
  }
}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options) : Optimizer(std::move(groups), options.lr), options_(options) {}

void SGD::step() {
  ++step_count_;
  for (ParamGroup& g : groups_) {
    for (size_t i = 0; i < g.params.size(); ++i) {
      Tensor& p = g.params[i];
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      grad = grad.to(DType::f32).contiguous();
      const Tensor buf = options_.momentum != 0.0 ? state_for(g.names[i], "momentum_buffer", p) : Tensor();
      op_kernels("SGD", p, grad, buf)
          .optimizer.sgd_step(p.data<float>(), grad.data<float>(), buf.defined() ? buf.data<float>() : nullptr,
                              p.numel(), static_cast<float>(lr_), static_cast<float>(options_.momentum),
                              static_cast<float>(g.weight_decay));
    }
  }
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  const double norm = std::sqrt(grad_sum_squares(params));
  scale_grads_to_max_norm(params, norm, max_norm);
  return norm;
}

namespace {

// The built-in optimizers.
std::map<std::string, OptimizerBuilder> built_ins() {
  std::map<std::string, OptimizerBuilder> b;
  b["adamw"] = [](std::vector<ParamGroup> groups, const OptimizerOptions& o) {
    return std::make_unique<AdamW>(std::move(groups), AdamWOptions{o.lr, o.beta1, o.beta2, o.eps});
  };
  b["sgd"] = [](std::vector<ParamGroup> groups, const OptimizerOptions& o) {
    return std::make_unique<SGD>(std::move(groups), SGDOptions{o.lr, o.momentum});
  };
  return b;
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, OptimizerBuilder> builders = built_ins();
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string joined_names(const std::map<std::string, OptimizerBuilder>& builders) {
  std::string names;
  for (const auto& [n, b] : builders) names += (names.empty() ? "" : ", ") + n;
  return names;
}

}  // namespace

void register_optimizer(const std::string& name, OptimizerBuilder builder) {
  FORGE_CHECK(!name.empty() && builder, "register_optimizer: a name and a builder are required");
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  FORGE_CHECK(r.builders.emplace(name, std::move(builder)).second,
              "optimizer '" << name << "' is already registered (registered: " << joined_names(r.builders) << ")");
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<ParamGroup> groups,
                                          const OptimizerOptions& options) {
  OptimizerBuilder builder;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.builders.find(name);
    FORGE_CHECK(it != r.builders.end(),
                "unknown optimizer '" << name << "' (expected one of " << joined_names(r.builders) << ")");
    builder = it->second;
  }
  return builder(std::move(groups), options);
}

std::vector<std::string> optimizer_names() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [n, b] : r.builders) names.push_back(n);
  return names;
}

}  // namespace forge::optim
