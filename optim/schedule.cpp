// The schedule registry (see schedule.h).
#include "optim/schedule.h"

#include <cmath>
#include <map>

#include "common/error.h"

namespace forge::optim {
namespace {

using Builder = std::function<double(const ScheduleOptions&, int64_t step)>;

// Progress through the post-warmup phase in [0, 1].
double progress(const ScheduleOptions& o, int64_t step, int64_t start) {
  const int64_t span = o.total_steps - start;
  if (span <= 0) return 1.0;
  return std::min(1.0, std::max(0.0, static_cast<double>(step - start) / static_cast<double>(span)));
}

const std::map<std::string, Builder>& registry() {
  static const std::map<std::string, Builder> r = {
      {"constant", [](const ScheduleOptions& o, int64_t) { return o.lr; }},
      {"cosine",
       [](const ScheduleOptions& o, int64_t s) {
         const double p = progress(o, s, o.warmup_steps);
         return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1.0 + std::cos(M_PI * p));
       }},
      {"linear",
       [](const ScheduleOptions& o, int64_t s) { return o.lr + (o.min_lr - o.lr) * progress(o, s, o.warmup_steps); }},
      {"wsd",
       [](const ScheduleOptions& o, int64_t s) {
         const int64_t decay_start = std::max(o.warmup_steps, o.total_steps - o.decay_steps);
         if (s < decay_start) return o.lr;
         return o.lr + (o.min_lr - o.lr) * progress(o, s, decay_start);
       }},
  };
  return r;
}

}  // namespace

Schedule make_schedule(const std::string& name, const ScheduleOptions& options) {
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::string names;
    for (const auto& [n, b] : registry()) names += (names.empty() ? "" : ", ") + n;
    FORGE_THROW("unknown schedule '" << name << "' (expected one of " << names << ")");
  }
  FORGE_CHECK(options.lr > 0, "schedule: lr must be > 0, got " << options.lr);
  FORGE_CHECK(options.warmup_steps >= 0, "schedule: warmup_steps must be >= 0, got " << options.warmup_steps);
  const Builder builder = it->second;
  return [builder, options](int64_t step) {
    if (step < options.warmup_steps) {
      return options.lr * static_cast<double>(step + 1) / static_cast<double>(options.warmup_steps);
    }
    return builder(options, step);
  };
}

std::vector<std::string> schedule_names() {
  std::vector<std::string> names;
  for (const auto& [n, b] : registry()) names.push_back(n);
  return names;
}

}  // namespace forge::optim
