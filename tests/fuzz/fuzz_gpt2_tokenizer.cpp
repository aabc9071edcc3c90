// libFuzzer target: GPT-2's vocab.json + merges.txt (data::load_gpt2_tokenizer).
// Input: vocab.json, a NUL byte, merges.txt. A tokenizer that loads must
// encode and decode text (bytes round-trip) without fault.
#include <cstdlib>

#include "data/tokenizer_files.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = forge::fuzz::split_nul(data, size);
  const std::string vocab = forge::fuzz::write_scratch("vocab.json", parts[0]);
  const std::string merges = forge::fuzz::write_scratch("merges.txt", parts.size() > 1 ? parts[1] : "");
  forge::fuzz::expect_ok_or_error([&] {
    forge::data::Tokenizer t = forge::data::load_gpt2_tokenizer(vocab, merges);
    const std::string text = "Hello world, it's 2024!\n\tcaf\xc3\xa9 <|endoftext|> done";
    if (t.decode(t.encode(text)) != text) std::abort();
  });
  return 0;
}
