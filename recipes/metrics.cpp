// metrics.jsonl writer (see metrics.h).
#include "recipes/metrics.h"

#include <cmath>
#include <filesystem>

#include "common/error.h"

namespace forge::recipes {

MetricsLog::MetricsLog(const std::string& run_dir) : path_(run_dir + "/metrics.jsonl"), tensorboard_(run_dir) {
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  file_ = std::fopen(path_.c_str(), "a");
  FORGE_CHECK(file_ != nullptr, "cannot open '" << path_ << "' for writing (is the run directory writable?)");
}

MetricsLog::~MetricsLog() {
  if (file_) std::fclose(file_);
}

void MetricsLog::write(const std::vector<std::pair<std::string, double>>& fields) {
  std::string line = "{";
  char buf[64];
  for (size_t i = 0; i < fields.size(); ++i) {
    const double v = fields[i].second;
    // Integers print exactly; reals with 17 significant digits (round-trip exact).
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
      std::snprintf(buf, sizeof buf, "%.0f", v);
    } else if (std::isfinite(v)) {
      std::snprintf(buf, sizeof buf, "%.17g", v);
    } else {
      std::snprintf(buf, sizeof buf, "null");
    }
    line += (i ? ", \"" : "\"") + fields[i].first + "\": " + buf;
  }
  line += "}\n";
  FORGE_CHECK(std::fputs(line.c_str(), file_) >= 0 && std::fflush(file_) == 0,
              "cannot write to '" << path_ << "' (disk full?)");
  tensorboard_.write(fields);
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

}  // namespace forge::recipes
