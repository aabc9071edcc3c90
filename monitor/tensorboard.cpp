// TensorBoard event file writer (see tensorboard.h).
#include "monitor/tensorboard.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "io/tfrecord.h"

namespace forge::recipes {
namespace {

// Event fields.
constexpr int kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5, kSessionLog = 7;
// Summary.value, Summary.Value.{tag, simple_value}, SessionLog.status and its START value.
constexpr int kSummaryValue = 1, kValueTag = 1, kValueSimple = 2, kSessionStatus = 1, kStatusStart = 1;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// wall_time and step (proto3 leaves a zero step out, as TensorFlow's writers do).
ProtoWriter event_header(double wall_time, int64_t step) {
  ProtoWriter e;
  e.add_double(kWallTime, wall_time);
  if (step != 0) e.add_varint(kStep, static_cast<uint64_t>(step));
  return e;
}

}  // namespace

std::string tensorboard_tag(const std::string& key) {
  if (key == "step" || key == "tokens") return "";
  if (key.rfind("val_", 0) == 0) return "val/" + key.substr(4);
  return "train/" + key;
}

std::string event_file_version(double wall_time) {
  ProtoWriter e = event_header(wall_time, 0);
  e.add_bytes(kFileVersion, "brain.Event:2");
  return e.bytes();
}

std::string event_session_start(double wall_time, int64_t step) {
  ProtoWriter log;
  log.add_varint(kSessionStatus, kStatusStart);
  ProtoWriter e = event_header(wall_time, step);
  e.add_bytes(kSessionLog, log.bytes());
  return e.bytes();
}

std::string event_scalar(double wall_time, int64_t step, const std::string& tag, float value) {
  ProtoWriter v;
  v.add_bytes(kValueTag, tag);
  v.add_float(kValueSimple, value);
  ProtoWriter summary;
  summary.add_bytes(kSummaryValue, v.bytes());
  ProtoWriter e = event_header(wall_time, step);
  e.add_bytes(kSummary, summary.bytes());
  return e.bytes();
}

TensorBoardWriter::TensorBoardWriter(const std::string& run_dir) {
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "localhost");
  const double t = now_seconds();
  path_ = run_dir + "/events.out.tfevents." + std::to_string(static_cast<long long>(t)) + "." + host;
  file_ = std::fopen(path_.c_str(), "ab");
  FORGE_CHECK(file_ != nullptr, "cannot open '" << path_ << "' for writing: " << std::strerror(errno)
                                                << " (is the run directory writable?)");
  append(event_file_version(t));
  FORGE_CHECK(std::fflush(file_) == 0, "cannot write to '" << path_ << "' (disk full?)");
}

TensorBoardWriter::~TensorBoardWriter() {
  if (file_) std::fclose(file_);
}

void TensorBoardWriter::append(const std::string& event) {
  const std::string rec = tfrecord(event);
  FORGE_CHECK(std::fwrite(rec.data(), 1, rec.size(), file_) == rec.size(),
              "cannot write to '" << path_ << "' (disk full?)");
}

void TensorBoardWriter::write(const std::vector<std::pair<std::string, double>>& fields) {
  int64_t step = 0;
  bool has_step = false;
  for (const auto& [key, value] : fields) {
    if (key == "step") step = static_cast<int64_t>(value), has_step = true;
  }
  FORGE_CHECK(has_step, "TensorBoardWriter::write: a metrics record needs a \"step\"");
  const double t = now_seconds();
  if (!started_) {
    append(event_session_start(t, step));
    started_ = true;
  }
  for (const auto& [key, value] : fields) {
    const std::string tag = tensorboard_tag(key);
    if (!tag.empty()) append(event_scalar(t, step, tag, static_cast<float>(value)));
  }
  FORGE_CHECK(std::fflush(file_) == 0, "cannot write to '" << path_ << "' (disk full?)");
}

}  // namespace forge::recipes
