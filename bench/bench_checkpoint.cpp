// bench_checkpoint: how fast forge writes and reads a training checkpoint
// (model + AdamW state) of a given preset, GPT-2 124M by default (~1.5 GB).
//
// One run: build the model's parameters and two optimizer states per
// parameter, then time save_checkpoint (which ends with fsync of the file and
// of its directory), drop the file from the page cache (posix_fadvise
// DONTNEED, no root needed), time load_checkpoint from disk ("cold"), free
// the result, drop the file from the cache again and time a second load from
// disk ("cold_again"), then one from the page cache ("warm").
// Why two cold loads: the first one writes into memory this process never
// touched, and in a freshly booted VM the hypervisor backs each such page on
// first touch, which on the 2-core test VM cost 0 to 1.3 s per 1.5 GB (dd,
// the baseline, reuses one 64 MiB buffer and never pays it). The second load
// reuses the pages the first one freed, so it measures the disk and forge.
// bench/run_checkpoint.sh puts `dd` (conv=fsync, same bytes, same directory)
// beside it.
//
// Usage: bench_checkpoint [--dir DIR] [--preset NAME] [--repeats N] [--keep]
// Output, one line per measurement:
//   BENCH op=<save|load_cold|load_cold_again|load_warm> bytes=<file size> seconds=<s> MBps=<MB/s>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "autograd/tensor.h"
#include "common/philox.h"
#include "nn/config.h"
#include "nn/transformer.h"
#include "checkpoint/checkpoint.h"

using namespace forge;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void drop_from_page_cache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

void report(const char* op, uintmax_t bytes, double s) {
  std::printf("BENCH op=%s bytes=%ju seconds=%.3f MBps=%.1f\n", op, bytes, s, static_cast<double>(bytes) / s / 1e6);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "bench-checkpoint-tmp", preset = "gpt2-124m";
  int repeats = 1;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--preset" && i + 1 < argc) preset = argv[++i];
    else if (a == "--repeats" && i + 1 < argc) repeats = std::stoi(argv[++i]);
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr, "usage: bench_checkpoint [--dir DIR] [--preset NAME] [--repeats N] [--keep]\n");
      return 2;
    }
  }
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/step_1.h5";

  recipes::CheckpointContents c;
  c.model_config = nn::preset(preset);
  c.recipe_yaml = "# bench_checkpoint\n";
  {
    nn::TransformerLM model(c.model_config, 1);
    c.model = model.named_parameters();
  }
  Generator gen(7);
  int64_t numel = 0;
  for (const auto& [name, p] : c.model) {
    c.optimizer_state[name + "/exp_avg"] = Tensor::randn(p.shape(), gen, DType::f32, 0.0, 1e-3);
    c.optimizer_state[name + "/exp_avg_sq"] = Tensor::uniform(p.shape(), gen, DType::f32, 0.0, 1e-6);
    numel += p.numel();
  }
  c.optimizer_name = "adamw";
  c.optimizer_step_count = 1;
  c.optimizer_lr = 6e-4;
  c.state.step = 1;
  std::printf("# preset %s: %lld parameters, %lld tensors; model + 2 AdamW states = %.2f GB of fp32\n", preset.c_str(),
              static_cast<long long>(numel), static_cast<long long>(c.model.size()), 12.0 * numel / 1e9);

  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    recipes::save_checkpoint(path, c);
    const double save_s = seconds_since(t0);
    const uintmax_t bytes = std::filesystem::file_size(path);
    report("save", bytes, save_s);

    drop_from_page_cache(path);
    t0 = std::chrono::steady_clock::now();
    recipes::CheckpointContents back = recipes::load_checkpoint(path, true);
    report("load_cold", bytes, seconds_since(t0));
    back = {};
    drop_from_page_cache(path);
    t0 = std::chrono::steady_clock::now();
    back = recipes::load_checkpoint(path, true);
    report("load_cold_again", bytes, seconds_since(t0));
    FORGE_CHECK(back.model.size() == c.model.size() && back.optimizer_state.size() == c.optimizer_state.size(),
                "bench_checkpoint: read back " << back.model.size() << " tensors, wrote " << c.model.size());
    back = {};

    t0 = std::chrono::steady_clock::now();
    back = recipes::load_checkpoint(path, true);
    report("load_warm", bytes, seconds_since(t0));
    back = {};
    if (!keep || r + 1 < repeats) std::filesystem::remove(path);
  }
  return 0;
}
