// `forge prepare`: tokenizes text/JSONL into HDF5 token shards.
#include <cstdio>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "common/error.h"
#include "data/prepare.h"
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
    "Each document is followed by <|endoftext|> when the tokenizer has it.";

int prepare_cmd(int argc, char** argv) {
  std::string tokenizer_path;
  data::PrepareOptions options;
  std::vector<std::string> inputs;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      FORGE_CHECK(i + 1 < argc, "option " << a << " needs a value\n" << kUsage);
      return argv[++i];
    };
    auto number = [&](const std::string& v) {
      try {
        size_t used = 0;
        double d = std::stod(v, &used);
        FORGE_CHECK(used == v.size(), "");
        return d;
      } catch (...) {
        FORGE_THROW("option " << a << " expects a number, got '" << v << "'");
      }
    };
    if (a == "--tokenizer") tokenizer_path = value();
    else if (a == "--out") options.out_dir = value();
    else if (a == "--val-fraction") options.val_fraction = number(value());
    else if (a == "--separator") options.separator = value();
    else if (a == "--shard-tokens") options.shard_tokens = static_cast<int64_t>(number(value()));
    else if (a == "--seed") options.seed = static_cast<uint64_t>(number(value()));
    else if (a.rfind("--", 0) == 0) FORGE_THROW("unknown option '" << a << "'\n" << kUsage);
    else inputs.push_back(a);
  }
  FORGE_CHECK(!tokenizer_path.empty() && !options.out_dir.empty() && !inputs.empty(), kUsage);
  data::Tokenizer tokenizer = data::load_tokenizer(tokenizer_path);
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
