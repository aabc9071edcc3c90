// Named model sizes (`model.preset`) and per-family rules (`model.family`):
// the tables the recipe loader resolves a model section against.
//
// A preset is a complete model section taken from nn's preset table (nn/config.h);
// keys given next to `model.preset` override its values. A family gives the defaults and the constraints of an
// architecture (grouped-query attention, tied LM head, RoPE, FFN width rule),
// so the loader validates with table look-ups instead of if/else over names.
#pragma once

#include <string>
#include <vector>

#include "recipes/recipe.h"

namespace forge::recipes {

struct ModelFamily {
  std::string name;
  bool supports_gqa;       // n_kv_head may be smaller than n_head
  bool requires_tied;      // the LM head must be tied to the token embedding
  bool uses_rope;          // head_dim must be even
  ModelSection defaults;   // the family and tie_embeddings; sizes 0 (a recipe without a preset gives them)
};

// nullptr when unknown.
const ModelFamily* find_model_family(const std::string& name);
std::vector<std::string> model_family_names();

// nullptr when unknown; the returned config has every field set.
const ModelSection* find_model_preset(const std::string& name);
std::vector<std::string> model_preset_names();

// ffn_hidden when a recipe leaves it at 0 (nn::default_ffn_hidden).
int default_ffn_hidden(const ModelFamily& family, int n_embd);

}  // namespace forge::recipes
