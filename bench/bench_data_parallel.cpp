// bench_data_parallel: what data parallelism costs on this machine. Run as a
// plain process (the single-process baseline) and under `mpirun -np N` with
// the same per-rank batch; bench/run_data_parallel.sh does both. Each step is
// forward, backward (whose grad-ready hooks start the bucketed all-reduce, as
// in training) and GradBucketReducer::finish(); the optimizer is left out (it
// is the same with and without dp). Prints on rank 0:
//   BENCH world=<N> step_ms=<median> fwd_ms=<median> bwd_ms=<median>
//         comm_exposed_ms=<median finish() wait> comm_alone_ms=<median blocking all-reduce of all gradients>
//         hidden_pct=<100 * (1 - exposed / alone)> buckets=<n> in_backward=<buckets started by hooks per step>
//         params=<n> batch=<B per rank> seq=<T> threads=<OpenMP threads per rank>
//
// Usage: bench_data_parallel [--preset gpt2-124m] [--n-layer L --n-embd C --n-head H --vocab V]
//                            [--batch B] [--seq T] [--steps N] [--warmup N] [--bucket-mb M]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/runtime.h"
#include "distributed/grad_reducer.h"
#include "distributed/world.h"
#include "nn/flat_parameters.h"
#include "nn/transformer.h"

using namespace forge;

namespace {

struct Args {
  std::string preset = "gpt2-124m";
  int64_t n_layer = 4, n_head = 0, n_embd = 0, vocab = 0;
  int64_t batch = 4, seq = 256, steps = 6, warmup = 2;
  double bucket_mb = 4.0;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> const char* {
      FORGE_CHECK(i + 1 < argc, "missing value after " << argv[i]);
      return argv[++i];
    };
    const std::string k = argv[i];
    if (k == "--preset") a.preset = next();
    else if (k == "--n-layer") a.n_layer = std::stoll(next());
    else if (k == "--n-head") a.n_head = std::stoll(next());
    else if (k == "--n-embd") a.n_embd = std::stoll(next());
    else if (k == "--vocab") a.vocab = std::stoll(next());
    else if (k == "--batch") a.batch = std::stoll(next());
    else if (k == "--seq") a.seq = std::stoll(next());
    else if (k == "--steps") a.steps = std::stoll(next());
    else if (k == "--warmup") a.warmup = std::stoll(next());
    else if (k == "--bucket-mb") a.bucket_mb = std::stod(next());
    else FORGE_THROW("unknown argument '" << k << "' (see the usage comment in bench/bench_data_parallel.cpp)");
  }
  return a;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int run(const Args& a) {
  auto world = distributed::init_world();
  nn::ModelConfig c = nn::preset(a.preset);
  if (a.n_layer) c.n_layer = a.n_layer;
  if (a.n_head) c.n_head = a.n_head;
  if (a.n_embd) c.n_embd = a.n_embd;
  if (a.vocab) c.vocab_size = a.vocab;
  c.block_size = std::max(c.block_size, a.seq);
  c.validate();
  nn::TransformerLM model(c, 1);
  nn::FlatParameters flat(model);
  Tensor grads = flat.buffers().at(DType::f32).grads;
  std::unique_ptr<distributed::GradBucketReducer> reducer;
  if (world->size() > 1)
    reducer = std::make_unique<distributed::GradBucketReducer>(grads, model.parameters(), world,
                                                               static_cast<int64_t>(a.bucket_mb * (1 << 20)));
  Generator gen(7 + static_cast<uint64_t>(world->rank()));
  Tensor ids = Tensor::uniform({a.batch, a.seq}, gen, DType::f32, 0.0, double(c.vocab_size) - 0.5).to(DType::i64);
  Tensor targets = Tensor::uniform({a.batch, a.seq}, gen, DType::f32, 0.0, double(c.vocab_size) - 0.5).to(DType::i64);
  nn::ForwardContext ctx;
  ctx.training = true;

  std::vector<double> step_ms, fwd_ms, bwd_ms, exposed_ms;
  for (int64_t s = 0; s < a.warmup + a.steps; ++s) {
    flat.zero_grads();
    world->barrier();
    const auto t0 = std::chrono::steady_clock::now();
    Tensor loss = nn::TransformerLM::loss(model.forward(ids, ctx), targets);
    const double f = ms_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    loss.backward();
    const double b = ms_since(t1);
    const auto t2 = std::chrono::steady_clock::now();
    if (reducer) reducer->finish();
    const double e = ms_since(t2);
    if (s >= a.warmup) {
      step_ms.push_back(ms_since(t0));
      fwd_ms.push_back(f);
      bwd_ms.push_back(b);
      exposed_ms.push_back(e);
    }
  }
  // The same all-reduce with nothing to hide behind: the cost overlap saves from.
  std::vector<double> alone_ms;
  for (int64_t s = 0; s < (world->size() > 1 ? a.steps : 0); ++s) {
    world->barrier();
    const auto t0 = std::chrono::steady_clock::now();
    world->all_reduce(grads, distributed::ReduceOp::avg)->wait();
    alone_ms.push_back(ms_since(t0));
  }
  const double exposed = median(exposed_ms), alone = median(alone_ms);
  const double hidden = alone > 0 ? 100.0 * std::clamp(1.0 - exposed / alone, 0.0, 1.0) : 0.0;
  if (world->rank() == 0) {
    std::printf(
        "BENCH world=%d step_ms=%.1f fwd_ms=%.1f bwd_ms=%.1f comm_exposed_ms=%.2f comm_alone_ms=%.2f hidden_pct=%.0f "
        "buckets=%zu in_backward=%.1f params=%lld batch=%lld seq=%lld threads=%d\n",
        world->size(), median(step_ms), median(fwd_ms), median(bwd_ms), exposed, alone, hidden,
        reducer ? reducer->buckets().size() : size_t(0),
        reducer ? double(reducer->buckets_started_in_backward()) / double(a.warmup + a.steps) : 0.0,
        static_cast<long long>(model.num_parameters()), static_cast<long long>(a.batch),
        static_cast<long long>(a.seq), omp_get_max_threads());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  runtime::init(argc, argv);
  try {
    const int status = run(parse(argc, argv));
    distributed::finalize_world();
    return status;
  } catch (const std::exception& e) {
    return distributed::report_error("bench_data_parallel", e, false);
  }
}
