// TensorBoard event files written by forge itself, so `tensorboard --logdir
// runs/` shows a run's curves: RUN_DIR/events.out.tfevents.<unix time>.<host>,
// a sequence of TFRecords (tfrecord.h) each holding one Event protobuf. The
// first says file_version "brain.Event:2"; a SessionLog START at the first
// step written tells TensorBoard to drop points at and after that step from
// earlier files (a resumed or restarted run replaces them, as the last
// metrics.jsonl record for a step wins); then one Event per scalar.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace forge::recipes {

// The TensorBoard tag of a metrics.jsonl key: "val_<x>" -> "val/<x>", "step"
// and "tokens" (the x axes) -> "" (not written), any other key -> "train/<key>".
std::string tensorboard_tag(const std::string& key);

// Event protobufs (tensorflow/core/util/event.proto field numbers).
std::string event_file_version(double wall_time);
std::string event_session_start(double wall_time, int64_t step);
std::string event_scalar(double wall_time, int64_t step, const std::string& tag, float value);

class TensorBoardWriter {
 public:
  // Creates run_dir (if needed) and a new event file in it, named by the
  // current time and host (appended to if that name exists already).
  explicit TensorBoardWriter(const std::string& run_dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One metrics record, as given to MetricsLog::write: its "step" is the
  // events' step, every other key with a tag becomes a scalar (as float).
  // Flushed before returning.
  void write(const std::vector<std::pair<std::string, double>>& fields);

  const std::string& path() const { return path_; }

 private:
  void append(const std::string& event);

  std::FILE* file_ = nullptr;
  std::string path_;
  bool started_ = false;  // the SessionLog START is written before the first record
};

}  // namespace forge::recipes
