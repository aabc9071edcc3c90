// `forge sft-eval CKPT --data HELDOUT.jsonl`: held-out exact-match accuracy of a
// chat model (train/sft_eval.h), greedy decoding with the checkpoint's chat template.
#include <cstdio>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "data/tokenizer_files.h"
#include "nn/transformer.h"
#include "checkpoint/checkpoint.h"
#include "train/inference.h"
#include "train/sft.h"
#include "train/sft_eval.h"

namespace forge::apps {
namespace {

const char* kUsage =
    "usage: forge sft-eval CKPT --data FILE.jsonl [--max-new-tokens N] [--limit N] [--show N]\n"
    "                      [--tokenizer PATH] [--extend-vocab]\n\n"
    "Exact-match accuracy on held-out chat examples: each line of FILE (the formats of\n"
    "`forge prepare --sft`) ends with the expected assistant reply; the model answers the\n"
    "messages before it, formatted with the chat template of the recipe saved in CKPT,\n"
    "greedily until the template's stop token. A reply is correct when it equals the\n"
    "expected one, ignoring whitespace at either end. Prints\n"
    "  exact_match=<fraction> correct=<count> total=<count>\n\n"
    "  --max-new-tokens N  longest reply (default 32)\n"
    "  --limit N           only the first N examples (default all)\n"
    "  --show N            print the first N prompts, replies and expected answers (default 0)\n"
    "  --tokenizer PATH    tokenizer with the chat tokens (default: the checkpoint's data.tokenizer)\n"
    "  --extend-vocab      a base model whose vocabulary lacks the chat tokens: add them as\n"
    "                      mean-embedding rows, as sft.extend_vocab does (the SFT starting point)";

int sft_eval(int argc, char** argv) {
  std::string data_path, tokenizer_path;
  int64_t max_new = 32, limit = 0, show = 0;
  bool extend = false;
  const std::vector<std::string> args = FlagParser("forge sft-eval")
                                            .text("--data", &data_path)
                                            .integer("--max-new-tokens", &max_new, 1)
                                            .integer("--limit", &limit, 0)
                                            .integer("--show", &show, 0)
                                            .text("--tokenizer", &tokenizer_path)
                                            .toggle("--extend-vocab", &extend)
                                            .parse(argc, argv);
  FORGE_CHECK(args.size() <= 1, "expected one checkpoint, got '" << args[0] << "' and '" << args[1] << "'");
  FORGE_CHECK(!args.empty() && !data_path.empty(), "missing CKPT or --data\n" << kUsage);
  const std::string& checkpoint = args[0];

  auto examples = recipes::read_exact_match_set(data_path);
  if (limit > 0 && limit < static_cast<int64_t>(examples.size())) examples.resize(static_cast<size_t>(limit));
  recipes::CheckpointContents contents = recipes::load_checkpoint(checkpoint, /*with_optimizer=*/false);
  if (tokenizer_path.empty()) {
    tokenizer_path = recipes::tokenizer_of_checkpoint(contents, checkpoint);
    FORGE_CHECK(!tokenizer_path.empty(),
                "the recipe saved in '" << checkpoint << "' names no data.tokenizer; pass --tokenizer PATH");
  }
  data::Tokenizer tokenizer = data::load_tokenizer(tokenizer_path);
  const data::ChatTemplate chat = recipes::chat_template_of_checkpoint(contents, checkpoint);
  data::check_chat_tokens(tokenizer, chat, tokenizer_path);
  if (extend && contents.model_config.vocab_size < tokenizer.vocab_size()) {
    recipes::extend_vocab(contents.model, tokenizer.vocab_size());
    contents.model_config.vocab_size = tokenizer.vocab_size();
  }
  FORGE_CHECK(tokenizer.vocab_size() <= contents.model_config.vocab_size,
              "the tokenizer at '" << tokenizer_path << "' has " << tokenizer.vocab_size() << " tokens, more than the "
                                   << "model's vocab_size " << contents.model_config.vocab_size
                                   << " (a base model without the chat tokens? pass --extend-vocab)");
  const auto model = recipes::model_from_checkpoint(contents, checkpoint);
  const recipes::ExactMatchResult r = recipes::exact_match(*model, tokenizer, chat, examples, max_new);
  for (int64_t i = 0; i < std::min<int64_t>(show, r.total); ++i) {
    const auto& e = examples[static_cast<size_t>(i)];
    std::printf("[%lld] %s\n  reply:    %s\n  expected: %s\n", static_cast<long long>(i), e.prompt.back().content.c_str(),
                recipes::trim(r.replies[static_cast<size_t>(i)]).c_str(), e.answer.c_str());
  }
  std::printf("exact_match=%.4f correct=%lld total=%lld\n", r.accuracy(), static_cast<long long>(r.correct),
              static_cast<long long>(r.total));
  return 0;
}

const bool registered =
    register_command("sft-eval", {"held-out exact-match accuracy of a chat model", kUsage, sft_eval});

}  // namespace
}  // namespace forge::apps
