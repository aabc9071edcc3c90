// `forge inspect CKPT`: what a checkpoint holds (model config, step, tokens
// seen, parameter count, every tensor's name and shape, optimizer state) and
// whether every dataset's checksum verifies. Exits 1 when any does not.
#include <cstdio>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "nn/config.h"
#include "checkpoint/checkpoint.h"

namespace forge::apps {
namespace {

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
  if (bad == 0) {
    std::printf("checksums: ok (all %zu datasets verified)\n", r.datasets.size());
    return 0;
  }
  std::fprintf(stderr, "forge inspect: error: %d of %zu datasets failed verification:\n", bad, r.datasets.size());
  for (const recipes::DatasetStatus& d : r.datasets)
    if (!d.error.empty()) std::fprintf(stderr, "  %s\n", d.error.c_str());
  return 1;
}

const bool registered = register_command(
    "inspect", {"show what a checkpoint holds and verify its checksums",
                "usage: forge inspect CKPT\n\n"
                "Prints the checkpoint's model config, step, tokens seen, parameter count,\n"
                "optimizer, and every tensor's name and shape; reads every dataset and checks\n"
                "its Fletcher-32 checksums. Exit status 1 when any dataset is corrupt (each is\n"
                "named) or the file is not a readable forge checkpoint (docs/checkpoints.md).",
                inspect});

}  // namespace
}  // namespace forge::apps
