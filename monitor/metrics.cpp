// metrics.jsonl writer (see metrics.h).
#include "monitor/metrics.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

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

namespace {
// The value of "step" in one metrics line, or -1 when it has none.
int64_t step_of_line(const std::string& line) {
  const std::string key = "\"step\": ";
  const size_t at = line.find(key);
  if (at == std::string::npos) return -1;
  return std::strtoll(line.c_str() + at + key.size(), nullptr, 10);
}
}  // namespace

int64_t drop_metrics_after(const std::string& run_dir, int64_t step) {
  const std::string path = run_dir + "/metrics.jsonl", tmp = path + ".tmp";
  if (!std::filesystem::exists(path)) return 0;
  std::ifstream in(path, std::ios::binary);
  FORGE_CHECK(in.good(), "cannot read '" << path << "'");
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  std::string kept;
  int64_t dropped = 0;
  for (size_t begin = 0; begin < text.size();) {
    const size_t nl = text.find('\n', begin);
    const bool complete = nl != std::string::npos;
    const std::string line = text.substr(begin, complete ? nl - begin : std::string::npos);
    const int64_t s = step_of_line(line);
    if (complete && s >= 0 && s <= step) kept += line + "\n";
    else if (!line.empty()) ++dropped;
    begin = complete ? nl + 1 : text.size();
  }
  if (dropped == 0) return 0;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << kept;
    out.flush();
    FORGE_CHECK(out.good(), "cannot write '" << tmp << "' (disk full?)");
  }
  FORGE_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, "cannot replace '" << path << "' with '" << tmp << "'");
  return dropped;
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
