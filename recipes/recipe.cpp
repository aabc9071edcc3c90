// Loading, resolving, validating and dumping recipes (see recipe.h).
//
// Flow: the YAML file and the overrides are each flattened into leaf values
// keyed by path (`optim.lr`), each with where it came from; unknown keys are
// rejected on the way. Overrides replace file values. Each value is then read
// through the schema table (recipe_schema.cpp), the model section is
// resolved against its preset or family (model_presets.cpp), derived defaults
// are filled in, and cross-key rules are checked.
#include "recipes/recipe.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/error.h"
#include "data/chat_template.h"
#include "recipes/model_presets.h"
#include "recipes/recipe_schema.h"
#include "recipes/yaml_reader.h"

namespace forge::recipes {
namespace {

using detail::fail;
using detail::FieldSpec;
using detail::find_field;
using detail::find_section;
using detail::Where;

struct Value {
  YAML::Node node;
  Where where;
};
using Values = std::map<std::string, Value>;  // leaf path -> value
using Sources = std::map<std::string, Where>;  // leaf path -> where its value came from

// "unknown key" with the closest known key as a suggestion.
[[noreturn]] void unknown_key(const std::string& path, const Where& where) {
  const size_t dot = path.rfind('.');
  const std::string section = dot == std::string::npos ? "" : path.substr(0, dot);
  const std::string leaf = dot == std::string::npos ? path : path.substr(dot + 1);
  std::string guess;
  // 1. A close key in the same section (`optim.learning_rat` -> `optim.lr` is too far,
  //    `optim.wieght_decay` -> `optim.weight_decay`).
  std::vector<std::string> same_section;
  for (const FieldSpec& f : detail::recipe_fields())
    if (f.section() == section) same_section.push_back(f.leaf());
  if (section.empty())
    for (const auto& s : detail::recipe_sections()) same_section.push_back(s.name);
  const std::string near = detail::closest(leaf, same_section);
  if (!near.empty()) guess = section.empty() ? near : section + "." + near;
  // 2. The same name in another section (`lr` -> `optim.lr`).
  if (guess.empty())
    for (const FieldSpec& f : detail::recipe_fields())
      if (f.leaf() == leaf) {
        guess = f.path;
        break;
      }
  // 3. Anything close as a whole path (`optimizer.lr` -> `optim.lr`).
  if (guess.empty()) {
    std::vector<std::string> all = recipe_keys();
    guess = detail::closest(path, all);
  }
  fail(where, path, "unknown key" + (guess.empty() ? std::string() : " (did you mean '" + guess + "'?)"));
}

// Adds `node` as the value of `path` (a field or a section), expanding mappings
// given for sections and a section's scalar shorthand. `where_of` locates sub-nodes.
template <class WhereOf>
void add_value(const std::string& path, const YAML::Node& node, const Where& where,
               const WhereOf& where_of, Values& out, bool reject_duplicates) {
  if (find_field(path)) {
    if (reject_duplicates && out.count(path)) fail(where, path, "duplicate key");
    out[path] = {node, where};
    return;
  }
  const detail::SectionSpec* section = find_section(path);
  if (!section) unknown_key(path, where);
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const Where kw = where_of(kv.first, where);
      if (!kv.first.IsScalar()) fail(kw, path, "expected keys to be names, got " + detail::describe(kv.first));
      const std::string key = kv.first.Scalar();
      const std::string sub = path + "." + key;
      if (!seen.insert(key).second) fail(kw, sub, "duplicate key");
      if (!find_field(sub)) unknown_key(sub, kw);
      out[sub] = {kv.second, where_of(kv.second, kw)};
    }
  } else if (node.IsNull()) {
    if (!section->shorthand.empty()) out[path + "." + section->shorthand] = {node, where};
  } else if (node.IsScalar() && !section->shorthand.empty()) {
    out[path + "." + section->shorthand] = {node, where};
  } else {
    fail(where, path, "expected a mapping of keys, got " + detail::describe(node));
  }
}

void collect_file(const YAML::Node& root, const std::string& origin, Values& out) {
  if (!root.IsDefined() || root.IsNull()) return;
  auto where_of = [&origin](const YAML::Node& n, const Where& fallback) {
    const YAML::Mark m = n.Mark();
    return m.is_null() ? fallback : Where::at(origin, m);
  };
  if (!root.IsMap())
    throw Error(where_of(root, Where::in(origin)).text() +
                ": expected a mapping of recipe keys at the top level, got " + detail::describe(root));
  std::set<std::string> seen;
  for (const auto& kv : root) {
    const Where kw = where_of(kv.first, Where::in(origin));
    if (!kv.first.IsScalar()) throw Error(kw.text() + ": expected a key name, got " + detail::describe(kv.first));
    const std::string key = kv.first.Scalar();
    if (!seen.insert(key).second) fail(kw, key, "duplicate key");
    add_value(key, kv.second, where_of(kv.second, kw), where_of, out, /*reject_duplicates=*/false);
  }
}

void collect_override(const std::string& text, Values& out) {
  const Where where = Where::from_override(text);
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error(where.text() + ": expected key.path=value (e.g. optim.lr=3e-4)");
  const std::string path = text.substr(0, eq);
  YAML::Node node;
  try {
    node = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    fail(where, path, "malformed value: " + e.msg);
  }
  auto where_of = [&where](const YAML::Node&, const Where&) { return where; };
  add_value(path, node, where, where_of, out, /*reject_duplicates=*/false);
}

std::string stem_of(const std::string& origin) {
  std::string stem = std::filesystem::path(origin).stem().string();
  return stem.empty() ? "run" : stem;
}

Where where_of(const Sources& sources, const std::string& path, const std::string& origin) {
  auto it = sources.find(path);
  if (it != sources.end()) return it->second;
  return Where::in(origin, "default");
}

// Fills unset model keys from the preset or the family defaults.
void resolve_model(Recipe& r, Sources& sources, const std::string& origin) {
  ModelSection base;
  std::string note;
  const std::string family = nn::family_name(r.model.family);
  if (!r.model.preset.empty()) {
    const ModelSection* preset = find_model_preset(r.model.preset);
    if (sources.count("model.family") && r.model.family != preset->family)
      fail(sources.at("model.family"), "model.family",
           "'" + family + "' contradicts model.preset '" + r.model.preset + "' (a " +
               nn::family_name(preset->family) + " model)");
    base = *preset;
    note = "from model.preset '" + r.model.preset + "'";
  } else if (sources.count("model.family")) {
    base = find_model_family(family)->defaults;
    note = "default for model.family '" + family + "'";
  } else {
    fail(Where::in(origin), "model",
         "set model.preset (one of " + detail::join(model_preset_names()) + ") or model.family (one of " +
             detail::join(model_family_names()) + ")");
  }
  Recipe src;
  src.model = base;
  for (const FieldSpec& f : detail::recipe_fields()) {
    if (f.section() != "model" || f.path == "model.preset" || sources.count(f.path)) continue;
    f.copy(r, src);
    sources[f.path] = Where::in(origin, note);
  }
}

// Derived defaults: values left at 0 / "" that follow from other keys.
void resolve_derived(Recipe& r, const std::string& origin) {
  const ModelFamily& family = *find_model_family(nn::family_name(r.model.family));
  if (r.model.n_kv_head == 0) r.model.n_kv_head = r.model.n_head;
  if (r.model.ffn_hidden == 0 && r.model.n_embd > 0) r.model.ffn_hidden = default_ffn_hidden(family, r.model.n_embd);
  if (r.data.seq_len == 0) r.data.seq_len = r.model.block_size;
  if (r.run.name.empty()) r.run.name = stem_of(origin);
  if (r.run.dir.empty()) r.run.dir = "runs/" + r.run.name;
}

// Cross-key rules; each error names the first key and where it was set.
void validate(const Recipe& r, const Sources& sources, const std::string& origin) {
  auto at = [&](const std::string& path) { return where_of(sources, path, origin); };
  auto check = [&](bool ok, const std::string& path, const std::string& message) {
    if (!ok) fail(at(path), path, message);
  };
  const ModelSection& m = r.model;
  const std::string family_name = nn::family_name(m.family);
  const ModelFamily& family = *find_model_family(family_name);
  const std::pair<const char*, int64_t> required[] = {{"model.n_layer", m.n_layer},       {"model.n_head", m.n_head},
                                                  {"model.n_embd", m.n_embd},         {"model.vocab_size", m.vocab_size},
                                                  {"model.block_size", m.block_size}};
  for (const auto& [path, value] : required)
    check(value > 0, path, "required when model.preset is not set (an integer >= 1)");
  check(m.n_embd % m.n_head == 0, "model.n_embd",
        std::to_string(m.n_embd) + " is not divisible by model.n_head " + std::to_string(m.n_head));
  check(m.n_head % m.n_kv_head == 0, "model.n_kv_head",
        "model.n_head " + std::to_string(m.n_head) + " is not divisible by n_kv_head " + std::to_string(m.n_kv_head));
  check(family.supports_gqa || m.n_kv_head == m.n_head, "model.n_kv_head",
        "family '" + family_name + "' has no grouped-query attention: expected n_kv_head == n_head (" +
            std::to_string(m.n_head) + "), got " + std::to_string(m.n_kv_head));
  check(!family.requires_tied || m.tie_embeddings, "model.tie_embeddings",
        "family '" + family_name + "' ties the LM head to the token embedding: expected true, got false");
  check(!family.uses_rope || (m.n_embd / m.n_head) % 2 == 0, "model.n_head",
        "RoPE needs an even head size, got n_embd / n_head = " + std::to_string(m.n_embd / m.n_head));

  check(!r.data.train.empty(), "data.train", "required: a path or glob of the training shards");
  check(r.data.seq_len <= m.block_size, "data.seq_len",
        "expected <= model.block_size (" + std::to_string(m.block_size) + "), got " + std::to_string(r.data.seq_len));

  check(!(r.train.max_steps > 0 && r.train.max_tokens > 0), "train.max_tokens",
        "set only one of train.max_steps and train.max_tokens");
  check(r.train.max_steps > 0 || r.train.max_tokens > 0, "train.max_steps",
        "required: set train.max_steps or train.max_tokens to a positive integer");

  check(!(sources.count("schedule.min_lr") && sources.count("schedule.min_lr_ratio")), "schedule.min_lr",
        "set only one of schedule.min_lr and schedule.min_lr_ratio");
  check(r.min_lr() <= r.optim.lr, "schedule.min_lr",
        "expected <= optim.lr (" + detail::format_number(r.optim.lr) + "), got " + detail::format_number(r.min_lr()));

  const int tp = r.parallel.tp;
  check(m.n_head % tp == 0, "parallel.tp",
        "model.n_head " + std::to_string(m.n_head) + " is not divisible by tp " + std::to_string(tp));
  check(m.n_kv_head % tp == 0, "parallel.tp",
        "model.n_kv_head " + std::to_string(m.n_kv_head) + " is not divisible by tp " + std::to_string(tp));
  check(m.ffn_hidden % tp == 0, "parallel.tp",
        "model.ffn_hidden " + std::to_string(m.ffn_hidden) + " is not divisible by tp " + std::to_string(tp));
  check(m.vocab_size % tp == 0, "parallel.tp",
        "model.vocab_size " + std::to_string(m.vocab_size) + " is not divisible by tp " + std::to_string(tp) +
            " (the vocabulary is split across the tp ranks; pad model.vocab_size)");
  check(r.parallel.pp <= m.n_layer, "parallel.pp",
        "expected <= model.n_layer (" + std::to_string(m.n_layer) + "), got " + std::to_string(r.parallel.pp));
  if (!r.parallel.pp_layers.empty()) {
    int64_t layers = 0;
    for (int n : r.parallel.pp_layers) layers += n;
    check(static_cast<int>(r.parallel.pp_layers.size()) == r.parallel.pp && layers == m.n_layer, "parallel.pp_layers",
          "expected " + std::to_string(r.parallel.pp) + " layer counts (parallel.pp) adding up to model.n_layer " +
              std::to_string(m.n_layer) + ", got " + std::to_string(r.parallel.pp_layers.size()) + " adding up to " +
              std::to_string(layers));
  }

  try {
    data::ChatTemplate{r.sft.chat_turn, r.sft.chat_stop}.validate("chat template");
  } catch (const Error& e) {
    check(false, "sft.chat_turn", e.what());
  }
}

Recipe build(const Values& values, const std::string& origin) {
  Recipe r;
  Sources sources;
  for (const FieldSpec& f : detail::recipe_fields()) {
    auto it = values.find(f.path);
    if (it == values.end()) continue;
    f.read(r, it->second.node, it->second.where);
    sources[f.path] = it->second.where;
  }
  resolve_model(r, sources, origin);
  resolve_derived(r, origin);
  validate(r, sources, origin);
  return r;
}

// Puts a blank line around each top-level section (a top-level key opening a block).
std::string space_sections(const std::string& yaml) {
  std::istringstream in(yaml);
  std::string line, out;
  bool prev_indented = false;
  while (std::getline(in, line)) {
    const bool indented = !line.empty() && line[0] == ' ';
    const bool opens_block = !indented && !line.empty() && line.back() == ':';
    if (!out.empty() && !indented && (prev_indented || opens_block)) out += "\n";
    out += line + "\n";
    prev_indented = indented;
  }
  return out;
}

}  // namespace

int64_t Recipe::total_steps(int dp) const {
  if (train.max_steps > 0) return train.max_steps;
  const int64_t per_step = tokens_per_step(dp);
  return (train.max_tokens + per_step - 1) / per_step;
}

Recipe parse_recipe(const std::string& yaml_text, const std::string& origin,
                    const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw Error(Where::at(origin, e.mark).text() + ": malformed YAML: " + e.msg);
  }
  Values values;
  collect_file(root, origin, values);
  for (const std::string& o : overrides) collect_override(o, values);
  return build(values, origin);
}

Recipe load_recipe(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read recipe file '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_recipe(text.str(), path, overrides);
}

Recipe with_overrides(const Recipe& recipe, const std::vector<std::string>& overrides) {
  return parse_recipe(dump(recipe), "resolved recipe", overrides);
}

std::string dump(const Recipe& recipe) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string open_section;
  for (const FieldSpec& f : detail::recipe_fields()) {
    if (f.present && !f.present(recipe)) continue;
    const std::string section = f.section();
    if (section != open_section) {
      if (!open_section.empty()) out << YAML::EndMap;
      if (!section.empty()) out << YAML::Key << section << YAML::Value << YAML::BeginMap;
      open_section = section;
    }
    out << YAML::Key << (section.empty() ? f.path : f.leaf()) << YAML::Value;
    f.write(out, recipe);
  }
  if (!open_section.empty()) out << YAML::EndMap;
  out << YAML::EndMap;
  return "# Resolved forge recipe: every key explicit. Reference: docs/recipe-reference.md\n" +
         space_sections(out.c_str());
}

bool is_override(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  for (size_t i = 0; i < eq; ++i) {
    const char c = arg[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  }
  return true;
}

std::vector<std::string> recipe_keys() {
  std::vector<std::string> keys;
  for (const FieldSpec& f : detail::recipe_fields()) keys.push_back(f.path);
  return keys;
}

const char* to_string(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::bf16: return "bf16";
    case Precision::fp16: return "fp16";
  }
  return "?";
}

const char* to_string(DataOrder o) { return o == DataOrder::random ? "random" : "sequential"; }

}  // namespace forge::recipes
