// libFuzzer target: Hugging Face tokenizer.json (data::load_hf_tokenizer_json).
// A tokenizer that loads must encode and decode text (bytes round-trip).
#include <cstdlib>

#include "data/tokenizer_files.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      forge::fuzz::write_scratch("tokenizer.json", std::string_view(reinterpret_cast<const char*>(data), size));
  forge::fuzz::expect_ok_or_error([&] {
    forge::data::Tokenizer t = forge::data::load_hf_tokenizer_json(path);
    const std::string text = "Hello world, it's 2024!\n\tcaf\xc3\xa9 <|endoftext|> done";
    if (t.decode(t.encode(text)) != text) std::abort();
  });
  return 0;
}
