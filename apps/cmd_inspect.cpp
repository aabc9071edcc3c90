// `forge inspect CKPT`: what a checkpoint holds (model config, step, tokens
// seen, parameter count, every tensor's name and shape, optimizer state) and
// whether every dataset's checksum verifies, and that the file holds the
// model its config describes (what sample, eval and resume need to load it).
// Exits 1 when any check fails.
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/hf_model.h"
#include "common/error.h"
#include "nn/config.h"

namespace forge::apps {
namespace {

// What loading the checkpoint into its model would reject (the strict weight
// match of sample, eval and resume, without allocating the model): every
// parameter of the config present under /model with its shape, nothing else
// there, and every optimizer state belonging to a parameter.
std::vector<std::string> model_mismatches(const recipes::CheckpointReport& r) {
  std::map<std::string, Shape> expected;
  for (const auto& [name, shape] : recipes::model_parameter_shapes(r.model_config)) expected.emplace(name, shape);
  std::vector<std::string> out;
  std::set<std::string> stored;
  for (const recipes::DatasetStatus& d : r.datasets) {
    if (d.name.rfind("/model/", 0) == 0) {
      const std::string name = d.name.substr(std::string("/model/").size());
      stored.insert(name);
      auto it = expected.find(name);
      if (it == expected.end()) out.push_back(d.name + ": not a parameter of the model its config describes");
      else if (it->second != d.shape)
        out.push_back(d.name + ": shape " + shape_str(d.shape) + ", the config needs " + shape_str(it->second));
    } else {  // "/optim/<param>/<state>"
      const std::string key = d.name.substr(std::string("/optim/").size());
      if (!expected.count(key.substr(0, key.rfind('/'))))
        out.push_back(d.name + ": optimizer state of no parameter of the model");
    }
  }
  for (const auto& [name, shape] : recipes::model_parameter_shapes(r.model_config))
    if (!stored.count(name)) out.push_back("/model/" + name + ": missing (the config needs " + shape_str(shape) + ")");
  return out;
}

int inspect(int argc, char** argv) {
  const std::vector<std::string> paths = FlagParser("forge inspect").parse(argc, argv);
  FORGE_CHECK(paths.size() == 1, "usage: forge inspect CKPT (one checkpoint file)");
  const std::string& path = paths[0];
  const recipes::CheckpointReport r = recipes::verify_checkpoint(path);
  const nn::ModelConfig& m = r.model_config;
  std::printf("checkpoint: %s\n", path.c_str());
  std::printf("model: %s, n_layer %lld, n_head %lld, n_kv_head %lld, n_embd %lld, vocab_size %lld, block_size %lld, "
              "ffn_hidden %lld, rope_theta %g, norm_eps %g, dropout %g, tie_embeddings %s\n",
              nn::family_name(m.family), static_cast<long long>(m.n_layer), static_cast<long long>(m.n_head),
              static_cast<long long>(m.kv_heads()), static_cast<long long>(m.n_embd), static_cast<long long>(m.vocab_size),
              static_cast<long long>(m.block_size), static_cast<long long>(m.ffn_dim()), m.rope_theta, m.norm_eps,
              m.dropout, m.tie_embeddings ? "true" : "false");
  std::printf("step: %lld\ntokens seen: %lld\nparameters: %lld\n", static_cast<long long>(r.state.step),
              static_cast<long long>(r.state.tokens_seen), static_cast<long long>(r.num_parameters));
  if (r.optimizer_name.empty()) std::printf("optimizer: none (weights only)\n");
  else
    std::printf("optimizer: %s, %lld steps taken\n", r.optimizer_name.c_str(), static_cast<long long>(r.optimizer_step_count));
  std::printf("written under layout: dp%d x tp%d x pp%d\nrecipe: %s\n", r.state.dp, r.state.tp, r.state.pp,
              r.recipe_yaml.empty() ? "none" : "stored (/config attribute 'recipe')");
  std::printf("tensors:\n");
  int bad = 0;
  for (const recipes::DatasetStatus& d : r.datasets) {
    std::printf("  %-60s %-16s %s\n", d.name.c_str(), shape_str(d.shape).c_str(), d.error.empty() ? "ok" : "CORRUPT");
    bad += !d.error.empty();
  }
  const std::vector<std::string> mismatches = model_mismatches(r);
  if (bad == 0 && mismatches.empty()) {
    std::printf("checksums: ok (all %zu datasets verified)\n", r.datasets.size());
    return 0;
  }
  if (bad > 0) {
    std::fprintf(stderr, "forge inspect: error: %d of %zu datasets failed verification:\n", bad, r.datasets.size());
    for (const recipes::DatasetStatus& d : r.datasets)
      if (!d.error.empty()) std::fprintf(stderr, "  %s\n", d.error.c_str());
  }
  if (!mismatches.empty()) {
    std::fprintf(stderr, "forge inspect: error: '%s' does not hold the model its config describes (sample, eval and "
                         "resume would refuse it):\n", path.c_str());
    for (const std::string& m : mismatches) std::fprintf(stderr, "  %s\n", m.c_str());
  }
  return 1;
}

const bool registered = register_command(
    "inspect", {"show what a checkpoint holds and verify its checksums",
                "usage: forge inspect CKPT\n\n"
                "Prints the checkpoint's model config, step, tokens seen, parameter count,\n"
                "optimizer, and every tensor's name and shape; reads every dataset and checks\n"
                "its checksums. Exit status 1 when any dataset is corrupt (each is named), when\n"
                "the tensors are not the model the config describes (a missing, extra or\n"
                "misshapen one: what sample, eval and resume refuse), or when the file is not a\n"
                "readable forge checkpoint or holds impossible metadata (docs/checkpoints.md).",
                inspect});

}  // namespace
}  // namespace forge::apps
