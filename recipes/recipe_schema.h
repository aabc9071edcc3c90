// The recipe schema as data: one FieldSpec per key path (how to read it from
// YAML with its type and range, how to write it back, how to copy it) and the
// list of sections. The loader, the override parser, the unknown-key
// suggestions and dump() all walk these tables, so adding a key is one entry.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "recipes/recipe.h"
#include "recipes/yaml_reader.h"

namespace forge::recipes::detail {

struct FieldSpec {
  std::string path;  // "optim.lr", or "seed" for a top-level key
  // Parses `node` into the recipe, checking type and range; throws a located error.
  std::function<void(Recipe&, const YAML::Node&, const Where&)> read;
  // Emits the value (not the key).
  std::function<void(YAML::Emitter&, const Recipe&)> write;
  // dst.<field> = src.<field>
  std::function<void(Recipe&, const Recipe&)> copy;
  // dump() skips the key when this returns false (nullptr: always written).
  std::function<bool(const Recipe&)> present;

  std::string section() const;  // "optim" for "optim.lr", "" for "seed"
  std::string leaf() const;     // "lr"
};

struct SectionSpec {
  std::string name;
  // When set, a scalar given for the whole section means this field
  // (`init_from: ckpt.h5` == `init_from: {path: ckpt.h5}`).
  std::string shorthand;
};

const std::vector<FieldSpec>& recipe_fields();
const std::vector<SectionSpec>& recipe_sections();
const FieldSpec* find_field(const std::string& path);
const SectionSpec* find_section(const std::string& name);

// Names the recipe accepts for `schedule.name` (optim's schedule registry;
// `optim.name` reads optim's optimizer registry).
const std::vector<std::string>& schedule_names();

}  // namespace forge::recipes::detail
