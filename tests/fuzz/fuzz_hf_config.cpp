// libFuzzer target: a Hugging Face config.json (recipes::model_config_from_hf_json).
// A config that is accepted must pass ModelConfig::validate and give the
// parameter shapes of its model without fault.
#include "checkpoint/hf_model.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  forge::fuzz::expect_ok_or_error([&] {
    const forge::nn::ModelConfig c = forge::recipes::model_config_from_hf_json(text, "config.json");
    c.validate();
    forge::recipes::model_parameter_shapes(c);
  });
  return 0;
}
