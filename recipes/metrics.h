// Where training reports go: the console progress line and metrics.jsonl
// (one JSON object per line, flushed at every write so it can be tailed).
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace forge::recipes {

class MetricsLog {
 public:
  // Appends to run_dir/metrics.jsonl (created if missing).
  explicit MetricsLog(const std::string& run_dir);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // One line: {"step": 10, "loss": 3.2, ...}; keys in the given order.
  void write(const std::vector<std::pair<std::string, double>>& fields);

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
};

// "1h02m", "3m20s", "12s"
std::string format_duration(double seconds);

}  // namespace forge::recipes
