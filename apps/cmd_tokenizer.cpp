// `forge tokenizer train` and `forge tokenize`: thin command-line wrappers over
// data/tokenizer_train.h (learn a byte-level BPE vocabulary from text files and
// write vocab.json + merges.txt + tokenizer.json) and data/tokenizer_files.h
// (load a tokenizer and print a file's token ids on one line).
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "data/tokenizer.h"
#include "data/tokenizer_files.h"
#include "data/tokenizer_train.h"

namespace forge::apps {
namespace {

const char* kTrainUsage =
    "usage: forge tokenizer train --vocab-size N --out DIR [--min-frequency F] FILE...\n\n"
    "Trains a byte-level BPE tokenizer (GPT-2 pre-tokenization, 256 byte tokens,\n"
    "<|endoftext|> as the last id) on the text files and writes DIR/vocab.json and\n"
    "DIR/merges.txt (GPT-2 format) and DIR/tokenizer.json (Hugging Face format).\n"
    "N counts every token, <|endoftext|> included (at least 257). Merging stops\n"
    "early when no pair occurs F times (default 2).";

int tokenizer_train(int argc, char** argv) {
  data::BpeTrainOptions options;
  std::string out;
  int64_t vocab_size = 0;
  const std::vector<std::string> files = FlagParser("forge tokenizer train")
                                             .integer("--vocab-size", &vocab_size)
                                             .text("--out", &out)
                                             .integer("--min-frequency", &options.min_frequency, 1)
                                             .parse(argc, argv);
  FORGE_CHECK(vocab_size != 0 && !out.empty() && !files.empty(),
              "missing --vocab-size, --out or input files\n" << kTrainUsage);
  FORGE_CHECK(vocab_size >= 257 && vocab_size <= (int64_t{1} << 30), "--vocab-size must be in [257, 2^30], got " << vocab_size);
  options.vocab_size = static_cast<int32_t>(vocab_size);

  const auto t0 = std::chrono::steady_clock::now();
  data::BpeTrainer trainer(options);
  for (const auto& f : files) trainer.add_file(f);
  const auto t1 = std::chrono::steady_clock::now();
  const data::Tokenizer tok = trainer.train();
  const auto t2 = std::chrono::steady_clock::now();
  data::save_tokenizer(tok, out);
  const auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::fprintf(stderr, "forge tokenizer train: %zu distinct words (%.2fs), %zu merges (%.2fs), vocab %d -> %s\n",
               trainer.distinct_words(), secs(t0, t1), tok.merges().size(), secs(t1, t2), tok.vocab_size(),
               out.c_str());
  if (tok.vocab_size() < options.vocab_size) {
    std::fprintf(stderr, "forge tokenizer train: note: the text had too few frequent pairs to reach %d tokens\n",
                 options.vocab_size);
  }
  return 0;
}

int tokenizer(int argc, char** argv) {
  if (argc >= 1 && std::string(argv[0]) == "train") return tokenizer_train(argc - 1, argv + 1);
  FlagParser("forge tokenizer").parse(argc, argv);  // answers --help; names an unknown flag
  FORGE_THROW("expected a subcommand: `forge tokenizer train ...`\n" << kTrainUsage);
}

const char* kTokenizeUsage =
    "usage: forge tokenize --tokenizer PATH [--allow-special] FILE\n\n"
    "Prints the token ids of the whole FILE, space-separated, on one line. PATH is a\n"
    "folder with vocab.json + merges.txt, or a tokenizer.json file. The text is plain\n"
    "text, as `forge prepare` encodes it: \"<|endoftext|>\" written in it is its bytes.\n"
    "  --allow-special   map special tokens written in the text to their ids";

int tokenize(int argc, char** argv) {
  std::string path;
  bool allow_special = false;
  const std::vector<std::string> files = FlagParser("forge tokenize")
                                             .text("--tokenizer", &path)
                                             .toggle("--allow-special", &allow_special)
                                             .parse(argc, argv);
  FORGE_CHECK(files.size() <= 1, "expected one input file, got '" << files[0] << "' and '" << files[1] << "'");
  FORGE_CHECK(!path.empty() && !files.empty(), "missing --tokenizer or the input file\n" << kTokenizeUsage);
  const std::string& file = files[0];
  data::Tokenizer tok = data::load_tokenizer(path);
  const std::vector<int32_t> ids = tok.encode(data::read_text_file(file), allow_special);

  std::string line;
  line.reserve(ids.size() * 6 + 1);
  char buf[16];
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line.push_back(' ');
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, ids[i]);
    line.append(buf, p);
  }
  line.push_back('\n');
  FORGE_CHECK(std::fwrite(line.data(), 1, line.size(), stdout) == line.size() && std::fflush(stdout) == 0,
              "cannot write the token ids to standard output");
  return 0;
}

const bool registered = register_command("tokenizer", {"trains a byte-level BPE tokenizer", kTrainUsage, tokenizer}) &&
                        register_command("tokenize", {"prints a file's token ids", kTokenizeUsage, tokenize});

}  // namespace
}  // namespace forge::apps
