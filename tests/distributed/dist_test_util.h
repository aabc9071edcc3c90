// Shared pieces of the distributed tests: a tiny training recipe (a test-size
// GPT-2 or Llama over tiny token shards) and read-outs of a trained model.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/transformer.h"
#include "recipes/recipe.h"
#include "train/trainer.h"

namespace forge::disttest {

// A 20-step recipe over `shards_dir` (made by e2e::write_tiny_shards with vocab 64).
// batch_size is per rank; `parallel` holds extra overrides such as "parallel.zero=1".
inline recipes::Recipe tiny_recipe(const std::string& preset, const std::filesystem::path& shards_dir,
                                   const std::filesystem::path& run_dir, int batch_size,
                                   std::vector<std::string> overrides = {}) {
  const std::string yaml = "model: {preset: " + preset + "}\n" +
                           "data: {train: '" + (shards_dir / "train_*.h5").string() + "', batch_size: " +
                           std::to_string(batch_size) + ", seq_len: 16, order: random}\n" +
                           "optim: {lr: 3.0e-3, weight_decay: 0.1, grad_clip: 1.0}\n"
                           "schedule: {name: cosine, warmup_steps: 4}\n"
                           "train: {max_steps: 20, log_interval: 1000, eval_interval: 0}\n"
                           "run: {dir: '" + run_dir.string() + "'}\n";
  return recipes::parse_recipe(yaml, "tiny.yaml", overrides);
}

// Every parameter of the model, by name, as floats; except GPT-2's attention
// key bias (the middle third of c_attn.bias). Its exact gradient is zero (it
// adds q.b to every score of a query, which softmax ignores), so its computed
// gradient is rounding noise that AdamW normalises into steps of size ~lr in
// any implementation: two correct runs summing in different orders disagree on
// it by up to lr per step, and comparing it would test the noise.
inline std::vector<std::pair<std::string, std::vector<float>>> weights_of(const recipes::Trainer& t) {
  std::vector<std::pair<std::string, std::vector<float>>> out;
  const int64_t c = t.model().config().n_embd;
  for (const auto& [name, p] : t.model().named_parameters()) {
    std::vector<float> v = p.to_float_vector();
    if (name.size() >= 11 && name.compare(name.size() - 11, 11, "c_attn.bias") == 0)
      v.erase(v.begin() + c, v.begin() + 2 * c);
    out.emplace_back(name, std::move(v));
  }
  return out;
}

// Largest |a - b| over all weights.
inline double max_weight_diff(const std::vector<std::pair<std::string, std::vector<float>>>& a,
                              const std::vector<std::pair<std::string, std::vector<float>>>& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    for (size_t j = 0; j < a[i].second.size() && j < b[i].second.size(); ++j)
      worst = std::max(worst, double(std::abs(a[i].second[j] - b[i].second[j])));
  return a.size() == b.size() ? worst : 1e30;
}

// The name of the weight with the largest |a - b| and that difference, for failure messages.
inline std::string worst_weight(const std::vector<std::pair<std::string, std::vector<float>>>& a,
                                const std::vector<std::pair<std::string, std::vector<float>>>& b) {
  std::string name;
  double worst = -1.0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    for (size_t j = 0; j < a[i].second.size() && j < b[i].second.size(); ++j)
      if (std::abs(a[i].second[j] - b[i].second[j]) > worst) {
        worst = std::abs(a[i].second[j] - b[i].second[j]);
        name = a[i].first + "[" + std::to_string(j) + "]";
      }
  return name + " differs by " + std::to_string(worst);
}

// Largest |a - b| / |b| over per-step losses.
inline double max_loss_rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return 1e30;
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]) / std::abs(b[i]));
  return worst;
}

}  // namespace forge::disttest
