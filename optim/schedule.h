// Learning-rate schedules as pure functions of the step (so resume needs no state).
//
// All start with `warmup_steps` of linear warmup from lr/warmup to lr, then:
//   constant: lr
//   cosine:   lr -> min_lr over the remaining steps (half cosine)
//   linear:   lr -> min_lr linearly
//   wsd:      warmup-stable-decay: lr until (total - decay_steps), then linear to min_lr
// Schedules are looked up by name in a registry.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace forge::optim {

struct ScheduleOptions {
  double lr = 1e-3;
  double min_lr = 0.0;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  int64_t decay_steps = 0;  // wsd only
};

// lr for 0-based step `step` (the update that produces step+1).
using Schedule = std::function<double(int64_t step)>;

Schedule make_schedule(const std::string& name, const ScheduleOptions& options);
std::vector<std::string> schedule_names();

}  // namespace forge::optim
