// libFuzzer target: a YAML recipe plus `key.path=value` overrides
// (recipes::parse_recipe). Input: the recipe text, then each override after a
// NUL byte. A recipe that loads must dump to text that loads back equal.
#include <cstdlib>

#include "recipes/recipe.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = forge::fuzz::split_nul(data, size);
  const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
  forge::fuzz::expect_ok_or_error([&] {
    const forge::recipes::Recipe r = forge::recipes::parse_recipe(parts[0], "fuzz.yaml", overrides);
    if (!(forge::recipes::parse_recipe(forge::recipes::dump(r), "fuzz.yaml") == r)) std::abort();
  });
  return 0;
}
