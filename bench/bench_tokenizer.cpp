// Tokenizer benchmark (run by hand, never as a unit test): trains a byte-level
// BPE tokenizer on ~10 MB of text, then times single-threaded encoding of the
// same text (cold cache, then warm) and decoding, and, when GPT-2's real files
// are present (scripts/fetch_gpt2_tokenizer.sh), encoding with GPT-2's vocab.
//
// usage: bench_tokenizer [--vocab-size N] [--mb M] [FILE...]
// Without FILEs the corpus is Debian's fortunes (real English, ~2.5 MB)
// topped up to M MB (default 10) with the Python sources under
// /usr/lib/python3/dist-packages in path order (code), read whole.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/tokenizer.h"
#include "data/tokenizer_files.h"
#include "data/tokenizer_train.h"

namespace fs = std::filesystem;
using forge::data::Tokenizer;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void append_files_under(const fs::path& root, const std::string& ext, size_t limit, std::string& out) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && (ext.empty() || it->path().extension() == ext)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    if (out.size() >= limit) return;
    const auto name = f.filename().string();
    if (name.ends_with(".dat") || name.ends_with(".u8")) continue;
    out += forge::data::read_text_file(f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int32_t vocab_size = 16384;
  double mb = 10.0;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--vocab-size" && i + 1 < argc) {
      vocab_size = std::atoi(argv[++i]);
    } else if (a == "--mb" && i + 1 < argc) {
      mb = std::atof(argv[++i]);
    } else {
      files.push_back(a);
    }
  }
  try {
    std::string text;
    const auto limit = static_cast<size_t>(mb * 1e6);
    if (files.empty()) {
      append_files_under("/usr/share/games/fortunes", "", limit, text);
      append_files_under("/usr/lib/python3/dist-packages", ".py", limit, text);
      if (text.size() > limit) text.resize(limit);
    } else {
      for (const auto& f : files) text += forge::data::read_text_file(f);
    }
    FORGE_CHECK(!text.empty(), "no corpus: pass text files");
    const double mbytes = static_cast<double>(text.size()) / 1e6;
    std::printf("corpus: %.2f MB, vocab size %d\n", mbytes, vocab_size);

    auto t0 = std::chrono::steady_clock::now();
    forge::data::BpeTrainer trainer({.vocab_size = vocab_size});
    trainer.add_text(text);
    const double t_count = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    Tokenizer tok = trainer.train();
    const double t_merge = seconds_since(t0);
    std::printf("train: %.2f s (count %zu distinct words %.2f s + %zu merges %.2f s) -> vocab %d\n",
                t_count + t_merge, trainer.distinct_words(), t_count, tok.merges().size(), t_merge, tok.vocab_size());

    auto bench_encode = [&](Tokenizer base, const char* name) {
      Tokenizer cold = base;  // fresh cache
      auto t = std::chrono::steady_clock::now();
      const auto ids = cold.encode(text);
      const double t_cold = seconds_since(t);
      t = std::chrono::steady_clock::now();
      const auto again = cold.encode(text);
      const double t_warm = seconds_since(t);
      t = std::chrono::steady_clock::now();
      const std::string back = cold.decode(ids);
      const double t_dec = seconds_since(t);
      FORGE_CHECK(ids == again && back == text, name << ": encode/decode round trip failed");
      std::printf("%s: %zu tokens (%.2f bytes/token); encode 1 thread: %.1f MB/s cold cache, %.1f MB/s warm; "
                  "decode %.0f MB/s\n",
                  name, ids.size(), static_cast<double>(text.size()) / ids.size(), mbytes / t_cold,
                  mbytes / t_warm, mbytes / t_dec);
    };
    bench_encode(tok, "trained");

    const char* env = std::getenv("FORGE_GPT2_DIR");
    const char* home = std::getenv("HOME");
    const fs::path gpt2 = env ? fs::path(env) : fs::path(home ? home : "/root") / ".cache/forge/gpt2";
    if (fs::exists(gpt2 / "vocab.json") && fs::exists(gpt2 / "merges.txt")) {
      t0 = std::chrono::steady_clock::now();
      Tokenizer g = forge::data::load_tokenizer(gpt2);
      std::printf("gpt2: loaded vocab.json + merges.txt in %.2f s\n", seconds_since(t0));
      bench_encode(g, "gpt2");
    } else {
      std::printf("gpt2: skipped (no vocab.json + merges.txt in %s; run scripts/fetch_gpt2_tokenizer.sh)\n",
                  gpt2.c_str());
    }
  } catch (const forge::Error& e) {
    std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
    return 1;
  }
  return 0;
}
