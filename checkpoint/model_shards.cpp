// Gathering whole tensors from a layout and cutting them back (see model_shards.h).
#include "checkpoint/model_shards.h"

#include <cstring>
#include <sstream>

#include "autograd/grad_mode.h"
#include "nn/module.h"
#include "nn/tensor_parallel.h"

namespace forge::recipes {
namespace {

using Entries = std::vector<std::pair<std::string, Tensor>>;

// Each entry's key and shape as text ("key d0,d1,...\n" lines) followed by all
// values, sent as float tensors (a character per float: exact), since process
// groups carry f32 only. Tags 0..2 on the pipeline group, used by nothing else at this point.
void send_entries(distributed::ProcessGroup& pp, int dst, const Entries& entries) {
  std::ostringstream header;
  int64_t total = 0;
  for (const auto& [key, t] : entries) {
    header << key << ' ';
    for (size_t d = 0; d < t.shape().size(); ++d) header << (d ? "," : "") << t.shape()[d];
    header << '\n';
    total += t.numel();
  }
  const std::string text = header.str();
  std::vector<float> chars(text.size());
  for (size_t i = 0; i < text.size(); ++i) chars[i] = static_cast<float>(static_cast<unsigned char>(text[i]));
  Tensor sizes = Tensor::from_vector(std::vector<float>{float(text.size()), float(total)}, {2});
  Tensor text_t = Tensor::from_vector(chars, {int64_t(chars.size())});
  Tensor values = Tensor::empty({total});
  int64_t at = 0;
  for (const auto& [key, t] : entries) {
    std::vector<float> v = t.to_float_vector();
    std::memcpy(values.data<float>() + at, v.data(), v.size() * sizeof(float));
    at += t.numel();
  }
  pp.send(sizes, dst, 0)->wait();
  if (!chars.empty()) pp.send(text_t, dst, 1)->wait();
  if (total > 0) pp.send(values, dst, 2)->wait();
}

Entries recv_entries(distributed::ProcessGroup& pp, int src) {
  Tensor sizes = Tensor::empty({2});
  pp.recv(sizes, src, 0)->wait();
  const int64_t n_chars = int64_t(sizes.data<float>()[0]), total = int64_t(sizes.data<float>()[1]);
  Tensor text_t = Tensor::empty({n_chars});
  if (n_chars > 0) pp.recv(text_t, src, 1)->wait();
  Tensor values = Tensor::empty({total});
  if (total > 0) pp.recv(values, src, 2)->wait();
  std::string text(static_cast<size_t>(n_chars), ' ');
  for (int64_t i = 0; i < n_chars; ++i) text[i] = static_cast<char>(static_cast<unsigned char>(text_t.data<float>()[i]));
  Entries out;
  std::istringstream lines(text);
  std::string line;
  int64_t at = 0;
  while (std::getline(lines, line)) {
    const size_t space = line.rfind(' ');
    Shape shape;
    std::istringstream dims(line.substr(space + 1));
    for (std::string d; std::getline(dims, d, ',');) shape.push_back(std::stoll(d));
    const int64_t numel = shape_numel(shape);
    FORGE_CHECK(at + numel <= total, "checkpoint gather: stage " << src << " sent fewer values than its tensors need");
    Tensor t = Tensor::empty(shape);
    std::memcpy(t.data<float>(), values.data<float>() + at, static_cast<size_t>(numel) * sizeof(float));
    at += numel;
    out.emplace_back(line.substr(0, space), t);
  }
  return out;
}

bool has_prefix(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Whether `t` has the whole shape of a parameter whose piece is `local` under `spec`.
bool is_whole_of(const Tensor& t, const Tensor& local, const nn::ShardSpec& spec) {
  Shape whole = local.shape();
  if (spec.sharded()) whole[spec.dim] *= spec.parts;
  return t.shape() == whole;
}

}  // namespace

WholeModel gather_whole_model(const distributed::Layout& layout, const nn::Module& model,
                              const std::map<std::string, Tensor>& state) {
  WholeModel out;
  if (layout.dp_rank != 0) return out;  // data-parallel replicas hold the same tensors
  NoGradGuard no_grad;
  // Whole tensors of this stage: the tensor-parallel ranks all-gather their pieces.
  const auto params = model.named_parameters();
  const auto specs = model.named_shard_specs();
  for (size_t i = 0; i < params.size(); ++i) {
    const nn::ShardSpec& spec = specs[i].second;
    if (spec.duplicate) continue;
    const std::string& name = params[i].first;
    out.params.emplace_back(name, nn::gather_whole(params[i].second, spec, *layout.tp_group));
    for (auto it = state.lower_bound(name + "/"); it != state.end() && has_prefix(it->first, name + "/"); ++it)
      out.optimizer_state[it->first] = nn::gather_whole(it->second, spec, *layout.tp_group);
  }
  if (layout.tp_rank != 0) return {};
  if (layout.pp == 1) return out;
  // Later stages send theirs to stage 0 (world rank 0), which appends them in stage order.
  distributed::ProcessGroup& pp = *layout.pp_group;
  if (layout.pp_rank > 0) {
    Entries entries = out.params;
    for (const auto& [key, t] : out.optimizer_state) entries.emplace_back("/" + key, t);
    send_entries(pp, 0, entries);
    return {};
  }
  for (int stage = 1; stage < layout.pp; ++stage)
    for (auto& [key, t] : recv_entries(pp, stage)) {
      if (key[0] == '/')
        out.optimizer_state[key.substr(1)] = t;
      else
        out.params.emplace_back(key, t);
    }
  return out;
}

void localize(const nn::Module& model, bool partitioned, std::vector<std::pair<std::string, Tensor>>& weights,
              std::map<std::string, Tensor>* state) {
  std::map<std::string, std::pair<Tensor, nn::ShardSpec>> mine;
  const auto params = model.named_parameters();
  const auto specs = model.named_shard_specs();
  for (size_t i = 0; i < params.size(); ++i) mine.emplace(params[i].first, std::make_pair(params[i].second, specs[i].second));
  auto cut = [](const Tensor& t, const std::pair<Tensor, nn::ShardSpec>& local) {
    return is_whole_of(t, local.first, local.second) ? nn::shard_of(t, local.second) : t;
  };
  std::vector<std::pair<std::string, Tensor>> kept;
  for (auto& [name, t] : weights) {
    auto it = mine.find(name);
    if (it != mine.end())
      kept.emplace_back(name, cut(t, it->second));
    else if (!partitioned)
      kept.emplace_back(name, t);  // not the model's: the caller reports it
  }
  weights = std::move(kept);
  if (!state) return;
  std::map<std::string, Tensor> kept_state;
  for (auto& [key, t] : *state) {
    auto it = mine.find(key.substr(0, key.rfind('/')));
    if (it != mine.end())
      kept_state[key] = cut(t, it->second);
    else if (!partitioned)
      kept_state[key] = t;
  }
  *state = std::move(kept_state);
}

}  // namespace forge::recipes
