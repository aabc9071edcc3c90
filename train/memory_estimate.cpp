// Estimated training memory against the machine's (see memory_estimate.h).
#include "train/memory_estimate.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace forge::recipes {
namespace {

// Parameters of the whole model from its config (the layers of nn/, summed;
// exact up to the few bias and norm vectors).
double parameter_count(const nn::ModelConfig& c) {
  const double C = static_cast<double>(c.n_embd), V = static_cast<double>(c.vocab_size);
  const double kv = static_cast<double>(c.kv_heads() * c.head_dim()), F = static_cast<double>(c.ffn_dim());
  const bool llama = c.family == nn::Family::llama;
  const double attention = C * C * 2 + C * kv * 2;
  const double mlp = (llama ? 3.0 : 2.0) * C * F;
  const double per_layer = attention + mlp + (llama ? 2 * C : 13 * C + 2 * F);  // norms (and GPT-2's biases)
  const double embeddings = V * C * (c.tie_embeddings ? 1 : 2) + (llama ? 0.0 : static_cast<double>(c.block_size) * C);
  return embeddings + static_cast<double>(c.n_layer) * per_layer + 2 * C;
}

// The first number on `key`'s line of /proc/meminfo, in bytes; 0 if absent.
double meminfo(const std::string& text, const std::string& key) {
  const size_t at = text.find(key + ":");
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + key.size() + 1, nullptr) * 1024.0;  // kB
}

double read_limit(const std::string& path) {
  std::ifstream in(path);
  std::string value;
  if (!(in >> value) || value == "max") return 0;
  const double v = std::strtod(value.c_str(), nullptr);
  return v > 0 && v < 1e18 ? v : 0;  // cgroup v1 writes ~2^63 for "no limit"
}

}  // namespace

MemoryEstimate estimate_training_memory(const Recipe& r, const nn::ModelConfig& c, const distributed::Layout& layout) {
  MemoryEstimate e;
  const double params = parameter_count(c);
  e.parameters = static_cast<int64_t>(params);
  const double share = params / static_cast<double>(layout.tp * layout.pp);  // this rank's pieces
  e.weights = e.gradients = 4 * share;
  const double moments = r.optim.name == "adamw" ? 2 : (r.optim.momentum > 0 ? 1 : 0);
  e.optimizer = 4 * moments * share / (r.parallel.zero ? static_cast<double>(layout.dp) : 1.0);
  const double tokens = static_cast<double>(r.data.batch_size) *
                        static_cast<double>(r.data.seq_len > 0 ? r.data.seq_len : c.block_size);
  const double C = static_cast<double>(c.n_embd), F = static_cast<double>(c.ffn_dim()) / layout.tp;
  // Floats a block keeps per token for backward (its inputs, norms, attention and MLP
  // activations); a slight underestimate on purpose: the quickstart model's resident
  // memory grows 89.5 KB per token of batch, this estimate 88 KB.
  const double per_token_layer = r.train.activation_checkpointing ? C : 10 * C + 2 * F;
  // A stage holds n_layer / pp blocks for up to pp micro-batches in flight (1F1B): n_layer blocks' worth.
  e.activations = 4 * tokens * (per_token_layer * static_cast<double>(c.n_layer) +
                                2 * static_cast<double>(c.vocab_size) / layout.tp);  // logits and their gradient
  return e;
}

double MachineMemory::per_process() const {
  const double limit = cgroup_limit > 0 ? std::min(total, cgroup_limit) : total;
  return limit / std::max(1, processes);
}

MachineMemory machine_memory() {
  MachineMemory m;
  std::ifstream in("/proc/meminfo");
  std::stringstream text;
  text << in.rdbuf();
  m.total = meminfo(text.str(), "MemTotal");
  m.available = meminfo(text.str(), "MemAvailable");
  m.cgroup_limit = read_limit("/sys/fs/cgroup/memory.max");
  if (m.cgroup_limit == 0) m.cgroup_limit = read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  if (const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) m.processes = std::max(1, std::atoi(local));
  return m;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 1000 && u < 6) {
    bytes /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

void check_training_memory(const MemoryEstimate& e, const MachineMemory& m, bool print) {
  if (m.total <= 0) return;  // no /proc/meminfo: nothing to compare with
  std::ostringstream need;
  need << "about " << format_bytes(e.total()) << " (" << e.parameters << " parameters: weights "
       << format_bytes(e.weights) << ", gradients " << format_bytes(e.gradients) << ", optimizer state "
       << format_bytes(e.optimizer) << ", activations " << format_bytes(e.activations) << ")";
  std::ostringstream has;
  has << format_bytes(m.total) << " (MemTotal";
  if (m.cgroup_limit > 0 && m.cgroup_limit < m.total) has << "; cgroup limit " << format_bytes(m.cgroup_limit);
  if (m.processes > 1) has << "; shared by " << m.processes << " processes";
  has << ")";
  FORGE_CHECK(e.total() <= m.per_process(),
              "the model does not fit in memory: training it needs " << need.str() << " per process, this machine has "
                                                                     << has.str() << "; make the model smaller "
                                                                     << "(model.n_layer, model.n_embd), lower data.batch_size, or "
                                                                     << "split it (parallel.tp, parallel.pp)");
  if (!print) return;
  std::printf("memory: %s per process; this machine has %s\n", need.str().c_str(), has.str().c_str());
  if (m.available > 0 && e.total() > m.available / std::max(1, m.processes))
    std::printf("warning: that is more than the %s available now (MemAvailable)\n", format_bytes(m.available).c_str());
}

}  // namespace forge::recipes
