// bench_generate: decoding speed of nn::generate with and without the KV cache.
// Greedy-decodes `--new` tokens after a `--prompt`-token random prompt from a
// randomly initialised preset model, once with the cache (prefill + one
// position per step) and once recomputing the whole sequence each step, checks
// both produced the same tokens, and prints one line per mode:
//   BENCH generate model=<preset> cache=<on|off> prompt=<P> new=<N> s=<seconds> tokens_per_s=<N/s> threads=<n>
// `--recompute off` runs only the cached mode (recomputation is O(N^2) in the
// sequence and takes minutes at a few hundred new tokens on one thread).
//
// Usage: bench_generate [--preset gpt2-124m] [--prompt 32] [--new 96] [--recompute on|off]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/runtime.h"
#include "nn/generate.h"
#include "nn/transformer.h"

using namespace forge;

int main(int argc, char** argv) {
  runtime::init(argc, argv);
  std::string preset = "gpt2-124m";
  int64_t prompt_len = 32, new_tokens = 96;
  bool recompute = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--preset") preset = v;
    else if (k == "--prompt") prompt_len = std::stoll(v);
    else if (k == "--new") new_tokens = std::stoll(v);
    else if (k == "--recompute") {
      FORGE_CHECK(v == "on" || v == "off", "bench_generate: --recompute takes on or off, got " << v);
      recompute = v == "on";
    }
    else FORGE_THROW("bench_generate: unknown argument " << k);
  }
  const nn::ModelConfig config = nn::preset(preset);
  const nn::TransformerLM model(config, 0);
  Generator gen(1);
  std::vector<int64_t> prompt;
  for (int64_t i = 0; i < prompt_len; ++i)
    prompt.push_back(static_cast<int64_t>(gen.next_uniform() * double(config.vocab_size)));

  nn::GenerateOptions o;
  o.temperature = 0.0;
  o.max_new_tokens = new_tokens;
  std::vector<int64_t> reference;
  const char* threads = std::getenv("OMP_NUM_THREADS");
  for (bool cache : {true, false}) {
    if (!cache && !recompute) break;
    o.use_cache = cache;
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<int64_t> out = nn::generate(model, prompt, o);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (cache) reference = out;
    FORGE_CHECK(out == reference, "bench_generate: cached and recomputed decoding disagree");
    std::printf("BENCH generate model=%s cache=%s prompt=%lld new=%lld s=%.3f tokens_per_s=%.2f threads=%s\n",
                preset.c_str(), cache ? "on" : "off", static_cast<long long>(prompt_len),
                static_cast<long long>(out.size()), s, double(out.size()) / s, threads ? threads : "(default)");
  }
  return 0;
}
