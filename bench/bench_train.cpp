// bench_train: end-to-end training throughput of one model size, the number
// issue 3's speed target is judged by. Runs `--warmup` then `--steps` full
// optimizer steps (forward, backward, global-norm clip, AdamW) of a GPT-2 or
// Llama preset (optionally resized) on random tokens, and prints one line
//   BENCH model=<name> tokens_per_s=<x> gflops=<model FLOP/s / 1e9> step_ms=<median>
//         step_cpu_ms=<median CPU time of all threads> peak_rss_mb=<x> params=<n> batch=<B> seq=<T> threads=<n>
// with model FLOPs per token = 6N + 12·L·C·T (nn::ModelConfig::flops_per_token).
// bench/bench_train_torch.py is its PyTorch twin; bench/run_train.sh runs both.
//
// Usage: bench_train --preset gpt2-124m [--n-layer L --n-head H --n-embd C --vocab V]
//                    [--batch B] [--seq T] [--steps N] [--warmup N] [--label NAME]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "common/runtime.h"
#include "nn/flat_parameters.h"
#include "nn/transformer.h"
#include "optim/optimizer.h"

using namespace forge;

namespace {

struct Args {
  std::string preset = "gpt2-124m";
  std::string label;  // printed as model=; defaults to the preset
  int64_t n_layer = 0, n_head = 0, n_embd = 0, vocab = 0;
  int64_t batch = 4, seq = 256, steps = 5, warmup = 2;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    FORGE_CHECK(i + 1 < argc, "bench_train: " << k << " needs a value");
    const std::string v = argv[++i];
    if (k == "--preset") a.preset = v;
    else if (k == "--label") a.label = v;
    else if (k == "--n-layer") a.n_layer = std::stoll(v);
    else if (k == "--n-head") a.n_head = std::stoll(v);
    else if (k == "--n-embd") a.n_embd = std::stoll(v);
    else if (k == "--vocab") a.vocab = std::stoll(v);
    else if (k == "--batch") a.batch = std::stoll(v);
    else if (k == "--seq") a.seq = std::stoll(v);
    else if (k == "--steps") a.steps = std::stoll(v);
    else if (k == "--warmup") a.warmup = std::stoll(v);
    else FORGE_THROW("bench_train: unknown argument " << k);
  }
  return a;
}

// CPU time of the whole process (all threads), in ms: on a shared machine it
// measures the work done where wall time also counts waiting for a core.
double cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  runtime::init(argc, argv);
  try {
    const Args a = parse(argc, argv);
    nn::ModelConfig c = nn::preset(a.preset);
    if (a.n_layer) c.n_layer = a.n_layer;
    if (a.n_head) c.n_head = a.n_head, c.n_kv_head = 0;
    if (a.n_embd) c.n_embd = a.n_embd, c.ffn_hidden = 0;
    if (a.vocab) c.vocab_size = a.vocab;
    c.block_size = std::max(c.block_size, a.seq);
    c.validate();

    nn::TransformerLM model(c, 1337);
    nn::FlatParameters flat(model);
    std::vector<Tensor> params = model.parameters();
    optim::ParamGroup group;
    group.weight_decay = 0.1;
    for (const auto& [name, p] : model.named_parameters()) group.names.push_back(name), group.params.push_back(p);
    optim::AdamW opt({group}, optim::AdamWOptions{3e-4, 0.9, 0.95, 1e-8});

    Generator gen(7);
    std::vector<int64_t> ids(static_cast<size_t>(a.batch * (a.seq + 1)));
    for (auto& t : ids) t = static_cast<int64_t>(gen.next_uniform() * static_cast<double>(c.vocab_size)) % c.vocab_size;
    Tensor all = Tensor::from_vector(ids, {a.batch, a.seq + 1});
    Tensor inputs = all.narrow(1, 0, a.seq).contiguous();
    Tensor targets = all.narrow(1, 1, a.seq).contiguous();

    nn::ForwardContext ctx;
    ctx.training = true;
    std::vector<double> ms, cpu;
    for (int64_t s = 0; s < a.warmup + a.steps; ++s) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_ms();
      flat.zero_grads();
      Tensor loss = nn::TransformerLM::loss(model.forward(inputs, ctx), targets);
      loss.backward();
      optim::clip_grad_norm(params, 1.0);
      opt.step();
      const double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (s >= a.warmup) ms.push_back(dt), cpu.push_back(cpu_ms() - c0);
      std::fprintf(stderr, "step %lld: loss %.4f, %.0f ms\n", static_cast<long long>(s), loss.item(), dt);
    }
    std::sort(ms.begin(), ms.end());
    std::sort(cpu.begin(), cpu.end());
    const double median = ms[ms.size() / 2];
    const double tokens = static_cast<double>(a.batch * a.seq);
    const double tps = tokens / (median / 1e3);
    const int64_t n = model.num_parameters();
    const double gflops = tps * c.flops_per_token(n, a.seq) / 1e9;
    const char* threads = std::getenv("OMP_NUM_THREADS");
    std::printf("BENCH model=%s tokens_per_s=%.1f gflops=%.1f step_ms=%.1f step_cpu_ms=%.1f peak_rss_mb=%.0f params=%lld batch=%lld "
                "seq=%lld threads=%s\n",
                (a.label.empty() ? a.preset : a.label).c_str(), tps, gflops, median, cpu[cpu.size() / 2], peak_rss_mb(), static_cast<long long>(n),
                static_cast<long long>(a.batch), static_cast<long long>(a.seq), threads ? threads : "(default)");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_train: %s\n", e.what());
    return 1;
  }
}
