// libFuzzer target: a safetensors file (io/safetensors.h): the header is
// validated, then every tensor it lists is read as fp32.
#include "io/safetensors.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      forge::fuzz::write_scratch("model.safetensors", std::string_view(reinterpret_cast<const char*>(data), size));
  forge::fuzz::expect_ok_or_error([&] {
    const forge::recipes::SafetensorsFile file(path);
    for (const forge::recipes::SafetensorsEntry& e : file.entries()) {
      forge::fuzz::expect_ok_or_error([&] { file.read_f32(e.name); });
    }
  });
  return 0;
}
