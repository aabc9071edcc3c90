// The table of recipe keys (see recipe_schema.h). Entries are in dump order,
// sections contiguous. Types and ranges live here; cross-key rules live in
// recipe.cpp's validate().
#include "recipes/recipe_schema.h"

#include <climits>
#include <cmath>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/error.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "recipes/model_presets.h"

namespace forge::recipes::detail {
namespace {

template <class T>
using Ref = T& (*)(Recipe&);

template <class T>
T& at(Ref<T> ref, const Recipe& r) {
  return ref(const_cast<Recipe&>(r));  // read-only use in write()
}

template <class T>
std::function<void(Recipe&, const Recipe&)> copier(Ref<T> ref) {
  return [ref](Recipe& dst, const Recipe& src) { ref(dst) = at(ref, src); };
}

std::string int_range_text(int64_t lo, int64_t hi) {
  if (hi == INT64_MAX || hi == INT_MAX) return "an integer >= " + std::to_string(lo);
  if (hi == lo + 1) return std::to_string(lo) + " or " + std::to_string(hi);
  return "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

int64_t read_int_in(const YAML::Node& n, const std::string& path, const Where& w, int64_t lo,
                    int64_t hi) {
  const int64_t v = read_int(n, path, w);
  if (v < lo || v > hi) fail(w, path, "expected " + int_range_text(lo, hi) + ", got " + std::to_string(v));
  return v;
}

FieldSpec int_field(std::string path, Ref<int> ref, int64_t lo, int64_t hi = INT_MAX) {
  FieldSpec f;
  f.path = path;
  f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) {
    ref(r) = int(read_int_in(n, path, w, lo, hi));
  };
  f.write = [=](YAML::Emitter& out, const Recipe& r) { out << std::to_string(at(ref, r)); };
  f.copy = copier(ref);
  return f;
}

FieldSpec int64_field(std::string path, Ref<int64_t> ref, int64_t lo, int64_t hi = INT64_MAX) {
  FieldSpec f;
  f.path = path;
  f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) {
    ref(r) = read_int_in(n, path, w, lo, hi);
  };
  f.write = [=](YAML::Emitter& out, const Recipe& r) { out << std::to_string(at(ref, r)); };
  f.copy = copier(ref);
  return f;
}

// A real interval with open or closed ends.
struct Interval {
  double lo, hi;
  bool lo_open, hi_open;
  bool contains(double v) const {
    return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  }
  std::string text() const {
    if (hi == HUGE_VAL) return std::string("a number ") + (lo_open ? "> " : ">= ") + format_number(lo);
    return std::string("a number in ") + (lo_open ? "(" : "[") + format_number(lo) + ", " +
           format_number(hi) + (hi_open ? ")" : "]");
  }
};
constexpr Interval kPositive{0.0, HUGE_VAL, true, false};
constexpr Interval kNonNegative{0.0, HUGE_VAL, false, false};
constexpr Interval kUnitOpen{0.0, 1.0, false, true};     // [0, 1)
constexpr Interval kUnitClosed{0.0, 1.0, false, false};  // [0, 1]
constexpr Interval kFraction{0.0, 1.0, true, false};     // (0, 1]
constexpr Interval kOpenUnit{0.0, 1.0, true, true};      // (0, 1)
constexpr Interval kAtLeastOne{1.0, HUGE_VAL, false, false};

double read_double_in(const YAML::Node& n, const std::string& path, const Where& w, Interval iv) {
  const double v = read_double(n, path, w);
  if (!iv.contains(v)) fail(w, path, "expected " + iv.text() + ", got " + format_number(v));
  return v;
}

FieldSpec double_field(std::string path, Ref<double> ref, Interval iv) {
  FieldSpec f;
  f.path = path;
  f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) { ref(r) = read_double_in(n, path, w, iv); };
  f.write = [=](YAML::Emitter& out, const Recipe& r) { out << format_double(at(ref, r)); };
  f.copy = copier(ref);
  return f;
}

FieldSpec bool_field(std::string path, Ref<bool> ref) {
  FieldSpec f;
  f.path = path;
  f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) { ref(r) = read_bool(n, path, w); };
  f.write = [=](YAML::Emitter& out, const Recipe& r) { out << (at(ref, r) ? "true" : "false"); };
  f.copy = copier(ref);
  return f;
}

// Strings that a plain YAML scalar would turn into null must be quoted.
void write_string(YAML::Emitter& out, const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
    out << YAML::DoubleQuoted << s;
  else
    out << s;
}

FieldSpec string_field(std::string path, Ref<std::string> ref) {
  FieldSpec f;
  f.path = path;
  f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) { ref(r) = read_string(n, path, w); };
  f.write = [=](YAML::Emitter& out, const Recipe& r) { write_string(out, at(ref, r)); };
  f.copy = copier(ref);
  return f;
}

// A string restricted to registered names; `allow_empty` accepts null / "" for "not set".
FieldSpec choice_field(std::string path, Ref<std::string> ref, std::vector<std::string> (*names)(),
                       bool allow_empty) {
  FieldSpec f = string_field(path, ref);
  f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) {
    if (allow_empty && (n.IsNull() || (n.IsScalar() && n.Scalar().empty()))) {
      ref(r).clear();
      return;
    }
    ref(r) = read_choice(n, path, w, names());
  };
  return f;
}

// An enum read through a {name, value} table.
template <class E>
FieldSpec enum_field(std::string path, Ref<E> ref, const std::vector<std::pair<std::string, E>>* table) {
  FieldSpec f;
  f.path = path;
  f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) {
    std::vector<std::string> names;
    for (const auto& [name, value] : *table) names.push_back(name);
    const std::string s = read_choice(n, path, w, names);
    for (const auto& [name, value] : *table)
      if (name == s) ref(r) = value;
  };
  f.write = [=](YAML::Emitter& out, const Recipe& r) {
    for (const auto& [name, value] : *table)
      if (value == at(ref, r)) out << name;
  };
  f.copy = copier(ref);
  return f;
}

const std::vector<std::pair<std::string, Precision>> kPrecisions = {
    {"fp32", Precision::fp32}, {"bf16", Precision::bf16}, {"fp16", Precision::fp16}};
const std::vector<std::pair<std::string, DataOrder>> kOrders = {
    {"random", DataOrder::random}, {"sequential", DataOrder::sequential}};
const std::vector<std::pair<std::string, BadStepAction>> kBadStepActions = {
    {"skip", BadStepAction::skip}, {"abort", BadStepAction::abort}};

std::vector<std::string> optimizer_list() { return optim::optimizer_names(); }  // the optimizer registry
std::vector<std::string> schedule_list() { return schedule_names(); }

// optim.betas: a list of two numbers in [0, 1).
FieldSpec betas_field() {
  FieldSpec f;
  f.path = "optim.betas";
  f.read = [p = f.path](Recipe& r, const YAML::Node& n, const Where& w) {
    if (!n.IsSequence() || n.size() != 2)
      fail(w, p, "expected a list of two numbers [beta1, beta2], got " + describe(n));
    for (size_t i = 0; i < 2; ++i) r.optim.betas[i] = read_double_in(n[i], p, w, kUnitOpen);
  };
  f.write = [](YAML::Emitter& out, const Recipe& r) {
    out << YAML::Flow << YAML::BeginSeq << format_double(r.optim.betas[0])
        << format_double(r.optim.betas[1]) << YAML::EndSeq;
  };
  f.copy = [](Recipe& d, const Recipe& s) { d.optim.betas = s.optim.betas; };
  return f;
}

// parallel.pp_layers: a list of positive integers (empty: even split).
FieldSpec pp_layers_field() {
  FieldSpec f;
  f.path = "parallel.pp_layers";
  f.read = [p = f.path](Recipe& r, const YAML::Node& n, const Where& w) {
    if (!n.IsSequence()) fail(w, p, "expected a list of layer counts, one per pipeline stage, got " + describe(n));
    r.parallel.pp_layers.clear();
    for (size_t i = 0; i < n.size(); ++i) r.parallel.pp_layers.push_back(int(read_int_in(n[i], p, w, 1, INT_MAX)));
  };
  f.write = [](YAML::Emitter& out, const Recipe& r) {
    out << YAML::Flow << YAML::BeginSeq;
    for (int n : r.parallel.pp_layers) out << n;
    out << YAML::EndSeq;
  };
  f.copy = [](Recipe& d, const Recipe& s) { d.parallel.pp_layers = s.parallel.pp_layers; };
  return f;
}

std::vector<std::string> pp_schedule_list() { return {"1f1b", "gpipe"}; }

// parallel.dp: a positive integer or `auto` (stored as 0).
FieldSpec dp_field() {
  FieldSpec f;
  f.path = "parallel.dp";
  f.read = [p = f.path](Recipe& r, const YAML::Node& n, const Where& w) {
    if (n.IsScalar() && n.Scalar() == "auto") {
      r.parallel.dp = 0;
      return;
    }
    if (n.IsScalar()) {
      try {
        r.parallel.dp = int(read_int_in(n, p, w, 1, INT_MAX));
        return;
      } catch (const Error&) {
      }
    }
    fail(w, p, "expected an integer >= 1 or 'auto', got " + describe(n));
  };
  f.write = [](YAML::Emitter& out, const Recipe& r) {
    out << (r.parallel.dp == 0 ? std::string("auto") : std::to_string(r.parallel.dp));
  };
  f.copy = [](Recipe& d, const Recipe& s) { d.parallel.dp = s.parallel.dp; };
  return f;
}

// resume: none | auto | a checkpoint path.
FieldSpec resume_field() {
  FieldSpec f;
  f.path = "resume";
  f.read = [p = f.path](Recipe& r, const YAML::Node& n, const Where& w) {
    const std::string s = read_string(n, p, w);
    r.resume.path.clear();
    if (s.empty() || s == "none" || s == "false") {
      r.resume.mode = ResumeMode::none;
    } else if (s == "auto" || s == "true") {
      r.resume.mode = ResumeMode::automatic;
    } else {
      r.resume.mode = ResumeMode::path;
      r.resume.path = s;
    }
  };
  f.write = [](YAML::Emitter& out, const Recipe& r) {
    switch (r.resume.mode) {
      case ResumeMode::none: out << "none"; break;
      case ResumeMode::automatic: out << "auto"; break;
      case ResumeMode::path: write_string(out, r.resume.path); break;
    }
  };
  f.copy = [](Recipe& d, const Recipe& s) { d.resume = s.resume; };
  return f;
}

// schedule.min_lr: optional absolute final learning rate (null = unset).
FieldSpec min_lr_field() {
  FieldSpec f;
  f.path = "schedule.min_lr";
  f.read = [p = f.path](Recipe& r, const YAML::Node& n, const Where& w) {
    if (n.IsNull()) r.schedule.min_lr.reset();
    else r.schedule.min_lr = read_double_in(n, p, w, kNonNegative);
  };
  f.write = [](YAML::Emitter& out, const Recipe& r) { out << format_double(*r.schedule.min_lr); };
  f.copy = [](Recipe& d, const Recipe& s) { d.schedule.min_lr = s.schedule.min_lr; };
  f.present = [](const Recipe& r) { return r.schedule.min_lr.has_value(); };
  return f;
}

// model.family: a registered family name, stored as nn::Family.
FieldSpec family_field() {
  FieldSpec f;
  f.path = "model.family";
  f.read = [p = f.path](Recipe& r, const YAML::Node& n, const Where& w) {
    r.model.family = nn::family_from_name(read_choice(n, p, w, model_family_names()));
  };
  f.write = [](YAML::Emitter& out, const Recipe& r) { out << nn::family_name(r.model.family); };
  f.copy = [](Recipe& d, const Recipe& s) { d.model.family = s.model.family; };
  return f;
}

// model.<name> for one row of nn's model field table (nn/config.h), typed and
// ranged by the row.
FieldSpec model_field(const nn::ModelField& field) {
  FieldSpec f;
  f.path = "model." + field.name;
  const nn::FieldRange range = field.range;
  std::visit(
      [&](auto member) {
        using T = std::decay_t<decltype(std::declval<nn::ModelConfig&>().*member)>;
        const std::string path = f.path;
        if constexpr (std::is_same_v<T, bool>) {
          f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) { r.model.*member = read_bool(n, path, w); };
          f.write = [=](YAML::Emitter& out, const Recipe& r) { out << (r.model.*member ? "true" : "false"); };
        } else if constexpr (std::is_same_v<T, double>) {
          const Interval iv{range.lo, range.hi, range.lo_open, range.hi_open};
          f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) {
            r.model.*member = read_double_in(n, path, w, iv);
          };
          f.write = [=](YAML::Emitter& out, const Recipe& r) { out << format_double(r.model.*member); };
        } else {
          const auto lo = static_cast<int64_t>(range.lo), hi = static_cast<int64_t>(range.hi);
          f.read = [=](Recipe& r, const YAML::Node& n, const Where& w) {
            r.model.*member = read_int_in(n, path, w, lo, hi);
          };
          f.write = [=](YAML::Emitter& out, const Recipe& r) { out << std::to_string(r.model.*member); };
        }
        f.copy = [=](Recipe& d, const Recipe& s) { d.model.*member = s.model.*member; };
      },
      field.member);
  return f;
}

#define FORGE_REF(T, member) [](Recipe& r) -> T& { return r.member; }

std::vector<FieldSpec> build_fields() {
  std::vector<FieldSpec> t;
  t.push_back(string_field("run.dir", FORGE_REF(std::string, run.dir)));
  t.push_back(string_field("run.name", FORGE_REF(std::string, run.name)));
  t.push_back(int64_field("seed", FORGE_REF(int64_t, seed), 0));
  t.push_back(enum_field<Precision>("precision", FORGE_REF(Precision, precision), &kPrecisions));

  t.push_back(choice_field("model.preset", FORGE_REF(std::string, model.preset), model_preset_names, true));
  t.push_back(family_field());
  for (const nn::ModelField& field : nn::model_fields()) t.push_back(model_field(field));  // nn's one field table

  t.push_back(string_field("data.train", FORGE_REF(std::string, data.train)));
  t.push_back(string_field("data.val", FORGE_REF(std::string, data.val)));
  t.push_back(string_field("data.tokenizer", FORGE_REF(std::string, data.tokenizer)));
  t.push_back(int_field("data.batch_size", FORGE_REF(int, data.batch_size), 1));
  t.push_back(int_field("data.seq_len", FORGE_REF(int, data.seq_len), 0));
  t.push_back(int_field("data.grad_accum", FORGE_REF(int, data.grad_accum), 1));
  t.push_back(enum_field<DataOrder>("data.order", FORGE_REF(DataOrder, data.order), &kOrders));

  t.push_back(choice_field("optim.name", FORGE_REF(std::string, optim.name), optimizer_list, false));
  t.push_back(double_field("optim.lr", FORGE_REF(double, optim.lr), kPositive));
  t.push_back(betas_field());
  t.push_back(double_field("optim.eps", FORGE_REF(double, optim.eps), kPositive));
  t.push_back(double_field("optim.weight_decay", FORGE_REF(double, optim.weight_decay), kNonNegative));
  t.push_back(double_field("optim.grad_clip", FORGE_REF(double, optim.grad_clip), kNonNegative));
  t.push_back(double_field("optim.momentum", FORGE_REF(double, optim.momentum), kUnitOpen));

  t.push_back(choice_field("schedule.name", FORGE_REF(std::string, schedule.name), schedule_list, false));
  t.push_back(int64_field("schedule.warmup_steps", FORGE_REF(int64_t, schedule.warmup_steps), 0));
  FieldSpec ratio = double_field("schedule.min_lr_ratio", FORGE_REF(double, schedule.min_lr_ratio), kUnitClosed);
  ratio.present = [](const Recipe& r) { return !r.schedule.min_lr.has_value(); };
  t.push_back(ratio);
  t.push_back(min_lr_field());
  t.push_back(int64_field("schedule.decay_steps", FORGE_REF(int64_t, schedule.decay_steps), 0));
  t.push_back(double_field("schedule.decay_fraction", FORGE_REF(double, schedule.decay_fraction), kFraction));

  t.push_back(int64_field("train.max_steps", FORGE_REF(int64_t, train.max_steps), 0));
  t.push_back(int64_field("train.max_tokens", FORGE_REF(int64_t, train.max_tokens), 0));
  t.push_back(int64_field("train.log_interval", FORGE_REF(int64_t, train.log_interval), 1));
  t.push_back(int64_field("train.eval_interval", FORGE_REF(int64_t, train.eval_interval), 0));
  t.push_back(int64_field("train.eval_steps", FORGE_REF(int64_t, train.eval_steps), 1));
  t.push_back(int64_field("train.sample_interval", FORGE_REF(int64_t, train.sample_interval), 0));
  t.push_back(int64_field("train.sample_tokens", FORGE_REF(int64_t, train.sample_tokens), 1));
  t.push_back(string_field("train.sample_prompt", FORGE_REF(std::string, train.sample_prompt)));
  t.push_back(double_field("train.sample_temperature", FORGE_REF(double, train.sample_temperature), kNonNegative));
  t.push_back(int64_field("train.sample_top_k", FORGE_REF(int64_t, train.sample_top_k), 0));
  t.push_back(double_field("train.peak_flops", FORGE_REF(double, train.peak_flops), kNonNegative));
  t.push_back(bool_field("train.activation_checkpointing", FORGE_REF(bool, train.activation_checkpointing)));
  t.push_back(enum_field<BadStepAction>("train.on_bad_step", FORGE_REF(BadStepAction, train.on_bad_step), &kBadStepActions));
  t.push_back(int64_field("train.max_bad_steps", FORGE_REF(int64_t, train.max_bad_steps), 1));
  t.push_back(double_field("train.spike_zscore", FORGE_REF(double, train.spike_zscore), kNonNegative));
  t.push_back(int64_field("train.spike_window", FORGE_REF(int64_t, train.spike_window), 2));

  t.push_back(int64_field("checkpoint.interval", FORGE_REF(int64_t, checkpoint.interval), 0));
  t.push_back(int_field("checkpoint.keep_last", FORGE_REF(int, checkpoint.keep_last), 0));

  t.push_back(string_field("init_from.path", FORGE_REF(std::string, init_from.path)));
  t.push_back(bool_field("init_from.strict", FORGE_REF(bool, init_from.strict)));

  t.push_back(resume_field());

  t.push_back(dp_field());
  t.push_back(int_field("parallel.tp", FORGE_REF(int, parallel.tp), 1));
  t.push_back(int_field("parallel.pp", FORGE_REF(int, parallel.pp), 1));
  t.push_back(int_field("parallel.zero", FORGE_REF(int, parallel.zero), 0, 1));
  t.push_back(pp_layers_field());
  t.push_back(choice_field("parallel.pp_schedule", FORGE_REF(std::string, parallel.pp_schedule), pp_schedule_list, false));

  t.push_back(bool_field("sft.enabled", FORGE_REF(bool, sft.enabled)));
  t.push_back(bool_field("sft.packing", FORGE_REF(bool, sft.packing)));
  t.push_back(string_field("sft.chat_turn", FORGE_REF(std::string, sft.chat_turn)));
  t.push_back(string_field("sft.chat_stop", FORGE_REF(std::string, sft.chat_stop)));
  t.push_back(bool_field("sft.extend_vocab", FORGE_REF(bool, sft.extend_vocab)));

  t.push_back(double_field("loss_scale.initial", FORGE_REF(double, loss_scale.initial), kPositive));
  t.push_back(int64_field("loss_scale.growth_interval", FORGE_REF(int64_t, loss_scale.growth_interval), 1));
  t.push_back(double_field("loss_scale.growth_factor", FORGE_REF(double, loss_scale.growth_factor), kAtLeastOne));
  t.push_back(double_field("loss_scale.backoff_factor", FORGE_REF(double, loss_scale.backoff_factor), kOpenUnit));
  t.push_back(double_field("loss_scale.min", FORGE_REF(double, loss_scale.min), kPositive));
  return t;
}

#undef FORGE_REF

}  // namespace

std::string FieldSpec::section() const {
  const size_t dot = path.find('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string FieldSpec::leaf() const {
  const size_t dot = path.find('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

const std::vector<FieldSpec>& recipe_fields() {
  static const std::vector<FieldSpec> fields = build_fields();
  return fields;
}

const std::vector<SectionSpec>& recipe_sections() {
  static const std::vector<SectionSpec> sections = {
      {"run", ""},       {"model", ""},      {"data", ""},           {"optim", ""},
      {"schedule", ""},  {"train", ""},      {"checkpoint", ""},     {"init_from", "path"},
      {"parallel", ""},  {"sft", ""},        {"loss_scale", ""},
  };
  return sections;
}

const FieldSpec* find_field(const std::string& path) {
  for (const FieldSpec& f : recipe_fields())
    if (f.path == path) return &f;
  return nullptr;
}

const SectionSpec* find_section(const std::string& name) {
  for (const SectionSpec& s : recipe_sections())
    if (s.name == name) return &s;
  return nullptr;
}

const std::vector<std::string>& schedule_names() {
  static const std::vector<std::string> names = optim::schedule_names();  // the schedule registry
  return names;
}

}  // namespace forge::recipes::detail
