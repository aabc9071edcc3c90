// `forge eval CKPT --data SHARDS [--seq-len T] [--batch-size B]`: mean loss and
// perplexity of a checkpoint's model over token shards (train/evaluate.h).
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "data/shard_set.h"
#include "data/token_shards.h"
#include "data/tokenizer_files.h"
#include "nn/transformer.h"
#include "checkpoint/checkpoint.h"
#include "train/evaluate.h"
#include "train/inference.h"
#include "recipes/recipe.h"

namespace forge::apps {
namespace {

const char* kUsage =
    "usage: forge eval CKPT --data SHARDS [--seq-len T] [--batch-size B]\n\n"
    "Scores the model of the forge checkpoint CKPT on every consecutive, non-overlapping\n"
    "window of the token shards SHARDS (a .h5 file, a folder or a glob such as\n"
    "'data/shards/val_*.h5'): window i holds tokens[i*T ... i*T+T] and each of its last T\n"
    "tokens is predicted from the ones before it. Prints one line:\n\n"
    "  loss=<mean cross-entropy per token, nats> ppl=<exp(loss)> tokens=<tokens scored>\n\n"
    "  --seq-len T     window length (default: the data.seq_len of the checkpoint's recipe,\n"
    "                  else the model's block_size); at most block_size\n"
    "  --batch-size B  windows per forward pass (default 8); the result does not depend on it\n"
    "  --tokenizer P   the tokenizer the shards must have been made with (default: the\n"
    "                  data.tokenizer of the checkpoint's recipe, when it exists here);\n"
    "                  shards of another tokenizer are an error";

// Shards made with another tokenizer than the model's would score garbage
// without an error: compare their fingerprint with the tokenizer's.
void check_shards_tokenizer(const std::string& shards, std::string tokenizer,
                            const recipes::CheckpointContents& contents, const std::string& checkpoint) {
  if (tokenizer.empty()) {
    tokenizer = recipes::tokenizer_of_checkpoint(contents, checkpoint);
    if (tokenizer.empty()) return;
    if (!std::filesystem::exists(tokenizer)) {
      std::fprintf(stderr, "note: not checking the shards' tokenizer: the checkpoint's data.tokenizer '%s' does not "
                           "exist here (pass --tokenizer PATH to check)\n", tokenizer.c_str());
      return;
    }
  }
  const data::Tokenizer tok = data::load_tokenizer(tokenizer);
  const data::ShardSet set(shards, /*verify=*/false);  // headers or manifest only
  FORGE_CHECK(set.vocab_size() == tok.vocab_size() && set.tokenizer_fingerprint() == data::fingerprint_string(tok.fingerprint()),
              "the shards at '" << shards << "' were made with a different tokenizer than '" << tokenizer << "': '"
                                << set.path(0) << "' has vocab " << set.vocab_size() << " and fingerprint '"
                                << set.tokenizer_fingerprint() << "', the tokenizer vocab " << tok.vocab_size()
                                << " and '" << data::fingerprint_string(tok.fingerprint()) << "'");
}

int eval(int argc, char** argv) {
  std::string shards, tokenizer;
  int64_t seq_len = 0, batch_size = 8;
  const std::vector<std::string> args = FlagParser("forge eval")
                                            .text("--data", &shards)
                                            .integer("--seq-len", &seq_len, 1)
                                            .integer("--batch-size", &batch_size, 1)
                                            .text("--tokenizer", &tokenizer)
                                            .parse(argc, argv);
  FORGE_CHECK(args.size() <= 1, "expected one checkpoint, got '" << args[0] << "' and '" << args[1] << "'");
  FORGE_CHECK(!args.empty() && !shards.empty(), "missing CKPT or --data\n" << kUsage);
  const std::string& checkpoint = args[0];

  const recipes::CheckpointContents contents = recipes::load_checkpoint(checkpoint, /*with_optimizer=*/false);
  const auto model = recipes::model_from_checkpoint(contents, checkpoint);
  if (seq_len == 0) {
    seq_len = model->config().block_size;
    if (!contents.recipe_yaml.empty())
      seq_len = recipes::parse_recipe(contents.recipe_yaml, checkpoint + " (/config recipe)").data.seq_len;
  }
  FORGE_CHECK(seq_len <= model->config().block_size,
              "--seq-len " << seq_len << " exceeds the model's block_size of " << model->config().block_size);
  check_shards_tokenizer(shards, tokenizer, contents, checkpoint);
  const recipes::EvalResult r = recipes::evaluate_shards(*model, shards, seq_len, batch_size);
  std::printf("loss=%.6f ppl=%.6f tokens=%lld\n", r.loss, r.perplexity, static_cast<long long>(r.tokens));
  return 0;
}

const bool registered = register_command(
    "eval", {"mean loss and perplexity of a checkpoint over token shards", kUsage, eval});

}  // namespace
}  // namespace forge::apps
