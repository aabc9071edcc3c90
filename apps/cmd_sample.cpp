// `forge sample CKPT --prompt TEXT [...]`: continues a prompt with a checkpoint's
// model (nn/generate.h) and prints the prompt and its continuation as text.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "data/tokenizer.h"
#include "data/tokenizer_files.h"
#include "nn/generate.h"
#include "nn/transformer.h"
#include "checkpoint/checkpoint.h"
#include "train/inference.h"
#include "train/sft.h"

namespace forge::apps {
namespace {

const char* kUsage =
    "usage: forge sample CKPT --prompt TEXT [--max-new-tokens N] [--temperature T] [--top-k K]\n"
    "                    [--top-p P] [--seed S] [--tokenizer PATH] [--no-stop]\n\n"
    "Continues TEXT with the model of the forge checkpoint CKPT (a step_<N>.h5 file) and\n"
    "prints the prompt followed by the generated text. The prompt is run through the\n"
    "model once, then each new token reuses the cached keys and values.\n\n"
    "  --max-new-tokens N  tokens to generate; prompt + N must fit the model's block_size\n"
    "                      (default: 64, or what fits when that is less)\n"
    "  --temperature T     >= 0 (default 1); 0 = greedy (always the most likely token)\n"
    "  --top-k K           draw from the K most likely tokens only (default 0 = all)\n"
    "  --top-p P           draw from the smallest set of most likely tokens whose\n"
    "                      probability reaches P, in (0, 1] (default 1 = all)\n"
    "  --seed S            seed of the draws (default 0): the same seed gives the same text\n"
    "  --tokenizer PATH    tokenizer folder or tokenizer.json (default: the data.tokenizer\n"
    "                      of the recipe saved in the checkpoint)\n"
    "  --no-stop           keep going after <|endoftext|> (by default generation ends there)\n"
    "  --chat TEXT         instead of --prompt: ask TEXT as the user of a chat model; the\n"
    "                      prompt is formatted with the chat template of the checkpoint's\n"
    "                      recipe (sft.chat_turn, ChatML by default) and generation ends\n"
    "                      at its stop token; prints TEXT and the reply\n\n"
    "An empty prompt starts from <|endoftext|>, as GPT-2 does.";

struct SampleArgs {
  std::string checkpoint, prompt, tokenizer;
  bool have_prompt = false, have_max_new = false, stop = true, chat = false;
  nn::GenerateOptions options;
};

SampleArgs parse(int argc, char** argv) {
  SampleArgs a;
  auto prompt = [&a](bool chat) {
    return [&a, chat](const std::string& text) {
      FORGE_CHECK(!a.have_prompt, "give one of --prompt and --chat, once");
      a.prompt = text;
      a.have_prompt = true;
      a.chat = chat;
    };
  };
  int64_t seed = 0;
  const std::vector<std::string> args =
      FlagParser("forge sample")
          .custom("--prompt", prompt(false))
          .custom("--chat", prompt(true))
          .custom("--max-new-tokens",
                  [&a](const std::string& v) {
                    a.options.max_new_tokens = parse_int_flag("--max-new-tokens", v);
                    a.have_max_new = true;
                  })
          .number("--temperature", &a.options.temperature)
          .integer("--top-k", &a.options.top_k)
          .number("--top-p", &a.options.top_p)
          .integer("--seed", &seed, 0)
          .text("--tokenizer", &a.tokenizer)
          .toggle("--no-stop", &a.stop, false)
          .parse(argc, argv);
  FORGE_CHECK(args.size() <= 1, "expected one checkpoint, got '" << args[0] << "' and '" << args[1] << "'");
  if (!args.empty()) a.checkpoint = args[0];
  a.options.seed = static_cast<uint64_t>(seed);
  FORGE_CHECK(!a.checkpoint.empty() && a.have_prompt, "missing CKPT or --prompt\n" << kUsage);
  // Flag names in the messages of bad values.
  FORGE_CHECK(a.options.max_new_tokens >= 0, "--max-new-tokens must be >= 0, got " << a.options.max_new_tokens);
  FORGE_CHECK(a.options.temperature >= 0, "--temperature must be >= 0 (0 = greedy), got " << a.options.temperature);
  FORGE_CHECK(a.options.top_k >= 0, "--top-k must be >= 0 (0 = all tokens), got " << a.options.top_k);
  FORGE_CHECK(a.options.top_p > 0 && a.options.top_p <= 1,
              "--top-p must be in (0, 1] (1 = all tokens), got " << a.options.top_p);
  return a;
}

int sample(int argc, char** argv) {
  SampleArgs a = parse(argc, argv);
  const recipes::CheckpointContents contents = recipes::load_checkpoint(a.checkpoint, /*with_optimizer=*/false);
  const auto model = recipes::model_from_checkpoint(contents, a.checkpoint);
  if (a.tokenizer.empty()) {
    a.tokenizer = recipes::tokenizer_of_checkpoint(contents, a.checkpoint);
    FORGE_CHECK(!a.tokenizer.empty(),
                "the recipe saved in '" << a.checkpoint << "' names no data.tokenizer; pass --tokenizer PATH");
    FORGE_CHECK(std::filesystem::exists(a.tokenizer),
                "the tokenizer '" << a.tokenizer << "' that the recipe saved in '" << a.checkpoint
                                  << "' names (data.tokenizer) does not exist here; pass --tokenizer PATH");
  }
  data::Tokenizer tokenizer = data::load_tokenizer(a.tokenizer);
  const int64_t V = model->config().vocab_size;
  FORGE_CHECK(tokenizer.vocab_size() <= V, "the tokenizer at '" << a.tokenizer << "' has " << tokenizer.vocab_size()
                                                                << " tokens, more than the model's vocab_size " << V);

  std::vector<int64_t> prompt;
  int64_t stop_token = tokenizer.eot_id();
  if (a.chat) {  // train/sft.h: the template the model was fine-tuned with
    const data::ChatTemplate chat = recipes::chat_template_of_checkpoint(contents, a.checkpoint);
    data::check_chat_tokens(tokenizer, chat, a.tokenizer);
    for (int32_t id : data::render_prompt(tokenizer, chat, {{"user", a.prompt}})) prompt.push_back(id);
    stop_token = data::chat_stop_id(tokenizer, chat);
  }
  if (!a.chat)
    for (int32_t id : tokenizer.encode(a.prompt)) prompt.push_back(id);
  if (prompt.empty()) {
    FORGE_CHECK(tokenizer.eot_id() >= 0, "the prompt is empty and the tokenizer has no <|endoftext|> to start from");
    prompt.push_back(tokenizer.eot_id());
  }
  const int64_t block = model->config().block_size;
  const int64_t P = static_cast<int64_t>(prompt.size());
  if (!a.have_max_new) a.options.max_new_tokens = std::min<int64_t>(64, std::max<int64_t>(1, block - P));
  FORGE_CHECK(P + a.options.max_new_tokens <= block,
              "the prompt is " << P << " tokens; with --max-new-tokens " << a.options.max_new_tokens
                               << " that exceeds the model's block_size of " << block
                               << " (shorten the prompt or lower --max-new-tokens)");
  a.options.vocab_limit = tokenizer.vocab_size();
  a.options.stop_token = a.stop ? stop_token : -1;

  const std::vector<int64_t> generated = nn::generate(*model, prompt, a.options);
  const std::vector<int32_t> ids(generated.begin(), generated.end());
  const std::string text = a.prompt + (a.chat ? "\n" : "") + tokenizer.decode(ids) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

const bool registered = register_command("sample", {"generates text from a checkpoint (KV cache)", kUsage, sample});

}  // namespace
}  // namespace forge::apps
