// `forge prepare`: tokenizes text/JSONL into HDF5 token shards.
#include <algorithm>
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
    "                     [--text-field NAME] [--shard-tokens N] [--seed S] [--threads N]\n"
    "                     [--replace] [--quiet] INPUT...\n\n"
    "Tokenizes documents into HDF5 shards DIR/train_*.h5 and DIR/val_*.h5 (plus\n"
    "DIR/manifest.json), streaming: memory stays bounded whatever the input size.\n"
    "INPUT is a file, a folder (every file inside, recursively, sorted) or a quoted\n"
    "glob such as 'raw/*.jsonl.zst'; .gz and .zst files are decompressed on the fly.\n"
    "  *.jsonl[.gz|.zst]  one JSON object per line; the document is its --text-field\n"
    "                     (default \"text\")\n"
    "  other files        text; one document per file, or split at lines equal to --separator\n"
    "  --val-fraction F   share of documents held out for validation (default 0), chosen\n"
    "                     by a hash of the document's index and --seed\n"
    "  --shard-tokens N   tokens per shard (default 100000000)\n"
    "  --threads N        tokenizing threads (default: every core); the output is the same\n"
    "  --replace          replace a non-empty DIR (atomically); without it that is an error\n"
    "  --quiet            no progress lines on stderr\n"
    "Each document is followed by <|endoftext|> when the tokenizer has it; text inside a\n"
    "document is plain text (\"<|endoftext|>\" written in it is not the special token).\n"
    "Nothing appears in DIR unless the whole input succeeded.\n\n"
    "usage: forge prepare --sft --tokenizer PATH --out DIR [--val FILE]... [--val-fraction F]\n"
    "                     [--skip-bad] [--train-on-prompt] [--chat-turn PATTERN] [--chat-stop TEXT]\n"
    "                     [--replace] INPUT.jsonl...\n\n"
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
  sft.replace = options.replace;
  FORGE_CHECK(options.separator.empty(), "--separator does not apply to --sft (one conversation per JSONL line)");
  FORGE_CHECK(options.text_field == "text", "--text-field does not apply to --sft (chat lines have their own fields)");
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
  int64_t shard_tokens = options.shard_tokens, seed = static_cast<int64_t>(options.seed), threads = 0;
  bool quiet = false;
  const std::vector<std::string> inputs =
      FlagParser("forge prepare")
          .text("--tokenizer", &tokenizer_path)
          .text("--out", &options.out_dir)
          .number("--val-fraction", &options.val_fraction)
          .text("--separator", &options.separator)
          .text("--text-field", &options.text_field)
          .integer("--threads", &threads, 1)
          .toggle("--replace", &options.replace)
          .toggle("--quiet", &quiet)
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
  options.threads = static_cast<int>(std::min<int64_t>(threads, 1024));
  options.progress = quiet ? nullptr : stderr;
  FORGE_CHECK(!tokenizer_path.empty() && !options.out_dir.empty() && !inputs.empty(), kUsage);
  const bool sft_flags = !sft.val_inputs.empty() || sft.skip_bad || sft.train_on_prompt ||
                         !(sft.chat_template == data::ChatTemplate{});
  FORGE_CHECK(sft_mode || !sft_flags, "--val, --skip-bad, --train-on-prompt, --chat-turn and --chat-stop need --sft");
  data::Tokenizer tokenizer = data::load_tokenizer(tokenizer_path);
  if (sft_mode) return prepare_sft(tokenizer, inputs, options, sft);
  data::PrepareSummary s = data::prepare(tokenizer, inputs, options);
  const std::string skipped =
      s.empty_documents ? "; skipped " + std::to_string(s.empty_documents) + " empty documents" : "";
  std::printf("prepared %lld documents: %lld train tokens, %lld val tokens in %zu shards under %s "
              "(%.1f MB of input in %.1f s, %.1f MB/s)%s\n",
              static_cast<long long>(s.documents), static_cast<long long>(s.train_tokens),
              static_cast<long long>(s.val_tokens), s.files.size(), options.out_dir.c_str(),
              static_cast<double>(s.input_bytes) / 1e6, s.seconds,
              static_cast<double>(s.input_bytes) / 1e6 / std::max(s.seconds, 1e-9),
              skipped.c_str());
  return 0;
}

const bool registered =
    register_command("prepare", {"text or JSONL -> HDF5 token shards", kUsage, prepare_cmd});

}  // namespace
}  // namespace forge::apps
