// Where training reports go: the console progress line, metrics.jsonl (one
// JSON object per line, flushed at every write so it can be tailed) and the
// same records as TensorBoard events (tensorboard.h), also flushed each write.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "monitor/tensorboard.h"

namespace forge::recipes {

class MetricsLog {
 public:
  // Appends to run_dir/metrics.jsonl (created if missing) and starts a new
  // TensorBoard event file in run_dir.
  explicit MetricsLog(const std::string& run_dir);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // One line: {"step": 10, "loss": 3.2, ...}; keys in the given order. The
  // same record goes to TensorBoard (train/loss, ..., val/loss).
  void write(const std::vector<std::pair<std::string, double>>& fields);

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
  TensorBoardWriter tensorboard_;
};

// For a run that continues from step `step` (resume, or a fresh start at 0):
// rewrites run_dir/metrics.jsonl keeping only the complete lines whose "step" is
// <= `step`, so lines an interrupted run wrote after its last checkpoint (or a
// half-written last line) are not duplicated by the continuation. The rewrite
// is atomic (temporary file + rename). Returns the number of lines dropped; a
// missing file drops nothing.
int64_t drop_metrics_after(const std::string& run_dir, int64_t step);

// "1h02m", "3m20s", "12s"
std::string format_duration(double seconds);

}  // namespace forge::recipes
