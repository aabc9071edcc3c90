// `forge prepare`: tokenizes text/JSONL into HDF5 token shards.
#include <cstdio>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "data/prepare.h"
#include "data/sft_prepare.h"
#include "data/tokenizer_files.h"

namespace forge::apps {
namespace {

const char* kUsage =
    "usage: forge prepare --tokenizer PATH --out DIR [--val-fraction F] [--separator LINE]\n"
    "                     [--shard-tokens N] [--seed S] INPUT...\n\n"
    "Tokenizes documents into HDF5 shards DIR/train_*.h5 and DIR/val_*.h5.\n"
    "  INPUT.jsonl   one {\"text\": ...} document per line\n"
    "  other files   text; one document per file, or split at lines equal to --separator\n"
    "  --val-fraction F   share of documents held out for validation (default 0)\n"
    "Each document is followed by <|endoftext|> when the tokenizer has it.\n\n"
    "usage: forge prepare --sft --tokenizer PATH --out DIR [--val FILE]... [--val-fraction F]\n"
    "                     [--skip-bad] [--train-on-prompt] [--chat-turn PATTERN] [--chat-stop TEXT] INPUT.jsonl...\n\n"
    "Supervised fine-tuning data: one conversation per JSONL line, either\n"
    "  {\"messages\": [{\"role\": \"system\"|\"user\"|\"assistant\", \"content\": ...}, ...]} or\n"
    "  {\"prompt\": ..., \"response\": ...}\n"
    "rendered with the chat template into DIR/train_*.h5 and DIR/val_*.h5 with a /loss_mask\n"
    "(1 on assistant tokens and their stop token), and DIR/tokenizer/: the tokenizer plus\n"
    "the template's special tokens (name it as data.tokenizer in the SFT recipe).\n"
    "  --val FILE          every conversation of FILE goes to the val split\n"
    "  --skip-bad          leave malformed lines out (reported and counted) instead of failing\n"
    "  --train-on-prompt   train on every token, system and user turns included\n"
    "  --chat-turn P       turn pattern with {role} and {content}\n"
    "                      (default \"<|im_start|>{role}\\n{content}<|im_end|>\\n\", ChatML)\n"
    "  --chat-stop TEXT    the special token that ends an assistant turn (default <|im_end|>);\n"
    "                      must match the recipe's sft.chat_turn / sft.chat_stop\n"
    "A malformed line fails the command naming file, line and field; nothing is written.";

// "\n" in a pattern given on the command line means a newline.
std::string unescape_newlines(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
      out.push_back('\n');
      ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

int prepare_sft(const data::Tokenizer& tokenizer, const std::vector<std::string>& inputs,
                const data::PrepareOptions& options, data::SftPrepareOptions sft) {
  sft.out_dir = options.out_dir;
  sft.val_fraction = options.val_fraction;
  sft.seed = options.seed;
  sft.shard_tokens = options.shard_tokens;
  FORGE_CHECK(options.separator.empty(), "--separator does not apply to --sft (one conversation per JSONL line)");
  const data::SftPrepareSummary s = data::prepare_sft(tokenizer, inputs, sft);
  for (const std::string& e : s.skipped) std::fprintf(stderr, "skipped: %s\n", e.c_str());
  std::printf("prepared %lld train and %lld val conversations (%lld + %lld tokens, %lld trained on) in %zu shards "
              "under %s; skipped %zu malformed lines; tokenizer with %d tokens in %s\n",
              static_cast<long long>(s.train_conversations), static_cast<long long>(s.val_conversations),
              static_cast<long long>(s.train_tokens), static_cast<long long>(s.val_tokens),
              static_cast<long long>(s.trained_tokens), s.files.size(), options.out_dir.c_str(), s.skipped.size(),
              s.vocab_size, s.tokenizer_dir.c_str());
  return 0;
}

int prepare_cmd(int argc, char** argv) {
  std::string tokenizer_path;
  data::PrepareOptions options;
  data::SftPrepareOptions sft;
  bool sft_mode = false;
  int64_t shard_tokens = options.shard_tokens, seed = static_cast<int64_t>(options.seed);
  const std::vector<std::string> inputs =
      FlagParser("forge prepare")
          .text("--tokenizer", &tokenizer_path)
          .text("--out", &options.out_dir)
          .number("--val-fraction", &options.val_fraction)
          .text("--separator", &options.separator)
          .integer("--shard-tokens", &shard_tokens, 1)
          .integer("--seed", &seed, 0)
          .toggle("--sft", &sft_mode)
          .texts("--val", &sft.val_inputs)
          .toggle("--skip-bad", &sft.skip_bad)
          .toggle("--train-on-prompt", &sft.train_on_prompt)
          .custom("--chat-turn", [&sft](const std::string& v) { sft.chat_template.turn = unescape_newlines(v); })
          .text("--chat-stop", &sft.chat_template.stop)
          .parse(argc, argv);
  options.shard_tokens = shard_tokens;
  options.seed = static_cast<uint64_t>(seed);
  FORGE_CHECK(!tokenizer_path.empty() && !options.out_dir.empty() && !inputs.empty(), kUsage);
  const bool sft_flags = !sft.val_inputs.empty() || sft.skip_bad || sft.train_on_prompt ||
                         !(sft.chat_template == data::ChatTemplate{});
  FORGE_CHECK(sft_mode || !sft_flags, "--val, --skip-bad, --train-on-prompt, --chat-turn and --chat-stop need --sft");
  data::Tokenizer tokenizer = data::load_tokenizer(tokenizer_path);
  if (sft_mode) return prepare_sft(tokenizer, inputs, options, sft);
  data::PrepareSummary s = data::prepare(tokenizer, inputs, options);
  std::printf("prepared %lld documents: %lld train tokens, %lld val tokens in %zu shards under %s\n",
              static_cast<long long>(s.documents), static_cast<long long>(s.train_tokens),
              static_cast<long long>(s.val_tokens), s.files.size(), options.out_dir.c_str());
  return 0;
}

const bool registered =
    register_command("prepare", {"text or JSONL -> HDF5 token shards", kUsage, prepare_cmd});

}  // namespace
}  // namespace forge::apps
