// bench_loader: what the pretraining loader costs on a corpus of shards —
// start-up time, resident memory it adds (VmRSS before construction, after
// construction, after every batch; VmHWM), and batch assembly time per step
// (mean, median, max: the max includes each shard's one-time verification on
// first touch). bench/run_data.sh runs it on the prepared multi-GB corpus
// (README.md, "Data pipeline").
//
//   bench_loader SHARDS [--batch B] [--seq-len T] [--steps N] [--order random|sequential]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/loader.h"

namespace {

// A field of /proc/self/status in kB ("VmRSS", "VmHWM").
long status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    FORGE_CHECK(argc >= 2, "usage: bench_loader SHARDS [--batch B] [--seq-len T] [--steps N] [--order random|sequential]");
    std::string spec = argv[1], order = "random";
    int64_t batch = 16, seq_len = 256, steps = 1000;
    for (int i = 2; i + 1 < argc; i += 2) {
      const std::string flag = argv[i], value = argv[i + 1];
      if (flag == "--batch") batch = std::stoll(value);
      else if (flag == "--seq-len") seq_len = std::stoll(value);
      else if (flag == "--steps") steps = std::stoll(value);
      else if (flag == "--order") order = value;
      else FORGE_THROW("unknown flag " << flag);
    }
    const long rss0 = status_kb("VmRSS");
    auto t0 = std::chrono::steady_clock::now();
    const forge::data::TokenLoader loader(spec, batch, seq_len, forge::data::order_from_name(order), 1337);
    const double startup_ms = ms_since(t0);
    const long rss1 = status_kb("VmRSS");
    std::vector<double> ms;
    long rss_max = rss1;
    for (int64_t s = 0; s < steps; ++s) {
      t0 = std::chrono::steady_clock::now();
      const forge::data::Batch b = loader.batch(s, 0);
      ms.push_back(ms_since(t0));
      rss_max = std::max(rss_max, status_kb("VmRSS"));
    }
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    double sum = 0;
    for (double x : ms) sum += x;
    std::printf("BENCH loader shards=%zu tokens=%lld batch=%lld seq_len=%lld order=%s steps=%lld startup_ms=%.1f "
                "batch_ms_mean=%.3f batch_ms_median=%.3f batch_ms_max=%.1f rss_before_mb=%.1f "
                "rss_after_startup_mb=%.1f rss_max_mb=%.1f loader_added_mb=%.1f hwm_mb=%.1f open_files=%zu\n",
                loader.shards().num_shards(), static_cast<long long>(loader.num_tokens()),
                static_cast<long long>(batch), static_cast<long long>(seq_len), order.c_str(),
                static_cast<long long>(steps), startup_ms, sum / static_cast<double>(ms.size()),
                sorted[sorted.size() / 2], sorted.back(), rss0 / 1024.0, rss1 / 1024.0, rss_max / 1024.0,
                (rss_max - rss0) / 1024.0, status_kb("VmHWM") / 1024.0, loader.shards().open_files());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_loader: %s\n", e.what());
    return 1;
  }
}
