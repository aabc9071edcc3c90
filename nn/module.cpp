// Module registration and traversal (see module.h).
#include "nn/module.h"

#include <set>

namespace forge::nn {

Tensor Module::register_parameter(const std::string& name, Tensor value, ShardSpec spec) {
  for (const auto& [n, t] : params_) FORGE_CHECK(n != name, "parameter '" << name << "' registered twice");
  value.set_requires_grad(true);
  value.set_name(name);
  params_.emplace_back(name, value);
  specs_.push_back(std::move(spec));
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  buffers_.emplace_back(name, value);
  return value;
}

void Module::to(Device device) {
  std::vector<NamedTensor> all = named_parameters();
  for (const NamedTensor& b : named_buffers()) all.push_back(b);
  for (const auto& [name, t] : all) {
    if (t.device() == device) continue;
    const Tensor moved = t.detach().to(device);  // contiguous
    TensorImpl& impl = t.impl();
    impl.storage = moved.storage();
    impl.offset = moved.offset();
    impl.strides = moved.strides();
    impl.grad.reset();
  }
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  for (const auto& [n, m] : children_) FORGE_CHECK(n != name, "submodule '" << name << "' registered twice");
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, bool buffers, std::vector<NamedTensor>& out) const {
  for (const auto& [n, t] : buffers ? buffers_ : params_) out.emplace_back(prefix + n, t);
  for (const auto& [n, m] : children_) m->collect(prefix + n + ".", buffers, out);
}

void Module::collect_specs(const std::string& prefix, std::vector<NamedShardSpec>& out) const {
  for (size_t i = 0; i < params_.size(); ++i) out.emplace_back(prefix + params_[i].first, specs_[i]);
  for (const auto& [n, m] : children_) m->collect_specs(prefix + n + ".", out);
}

std::vector<NamedShardSpec> Module::named_shard_specs() const {
  std::vector<NamedShardSpec> out;
  collect_specs("", out);
  return out;
}

std::vector<NamedTensor> Module::named_parameters() const {
  std::vector<NamedTensor> out;
  collect("", false, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

std::vector<NamedTensor> Module::named_buffers() const {
  std::vector<NamedTensor> out;
  collect("", true, out);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

Tensor Module::parameter(const std::string& name) const {
  for (const auto& [n, t] : named_parameters())
    if (n == name) return t;
  FORGE_THROW("no parameter named '" << name << "' in this model");
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, m] : children_) m->train(on);
}

}  // namespace forge::nn
