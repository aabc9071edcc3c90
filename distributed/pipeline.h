// Pipeline-parallel schedules: the order in which one pipeline stage runs the
// forward and backward passes of a step's micro-batches, and the
// point-to-point exchange of activations (forward, to the next stage) and
// their gradients (backward, to the previous stage) over the pipeline group.
//
// - gpipe: every micro-batch forward, then every backward. Simple; a stage
//   keeps the activations of all micro-batches.
// - 1f1b: stage s of P runs min(P-1-s, M) warm-up forwards, then alternates
//   one forward and one backward, then drains the remaining backwards. Same
//   results and bubble as GPipe, but at most P-s micro-batches' activations
//   are alive at once.
// Backward passes run in micro-batch order 0, 1, ... in both, so the last
// backward of a step is micro-batch M-1 on every stage (data-parallel
// gradient sync hooks onto it). Sends are non-blocking, receives blocking; a
// stage's activation shape is known to both ends (PipelineStep::activation_shape).
#pragma once

#include <functional>
#include <string>

#include "distributed/process_group.h"

namespace forge::distributed {

enum class PipelineSchedule { gpipe, one_f_one_b };
// "gpipe" | "1f1b"; anything else is a forge::Error naming the choices.
PipelineSchedule pipeline_schedule_from_name(const std::string& name);
const char* pipeline_schedule_name(PipelineSchedule s);

struct PipelineStep {
  int64_t micro_batches = 1;
  // Shape of the activation passed between stages for micro-batch m, e.g. (B, T, C).
  std::function<Shape(int64_t m)> activation_shape;
  // This stage's forward of micro-batch m. `input`: the previous stage's
  // output as a leaf that requires grad (when grad mode is on), undefined on
  // the first stage. Returns the activation for the next stage or, on the
  // last stage, the scalar whose backward this micro-batch's gradients are.
  std::function<Tensor(int64_t m, const Tensor& input)> forward;
  // Called just before micro-batch m's backward (optional).
  std::function<void(int64_t m)> before_backward;
};

// Forward and backward of every micro-batch on this stage (collective over `pp`).
void run_pipeline(PipelineSchedule schedule, ProcessGroup& pp, const PipelineStep& step);
// Forward passes only, in micro-batch order (evaluation; call under NoGradGuard).
void run_pipeline_forward(ProcessGroup& pp, const PipelineStep& step);

}  // namespace forge::distributed
