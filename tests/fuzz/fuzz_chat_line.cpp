// libFuzzer target: one line of chat JSONL (data::parse_chat_line), rendered
// with the default ChatML template when it parses.
#include <cstdlib>

#include "data/chat_template.h"
#include "data/sft_prepare.h"
#include "tests/fuzz/fuzz_util.h"

namespace {
// The 256 byte tokens plus ChatML's special tokens: every text encodes.
forge::data::Tokenizer& chat_tokenizer() {
  static forge::data::Tokenizer t = [] {
    std::vector<std::string> bytes;
    for (int b = 0; b < 256; ++b) bytes.emplace_back(1, static_cast<char>(b));
    return forge::data::with_chat_tokens(forge::data::Tokenizer(bytes, {}, {}), forge::data::ChatTemplate{});
  }();
  return t;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  forge::fuzz::expect_ok_or_error([&] {
    const auto messages = forge::data::parse_chat_line(line, "fuzz.jsonl:1");
    const auto tokens = forge::data::render_conversation(chat_tokenizer(), forge::data::ChatTemplate{}, messages);
    if (tokens.ids.size() != tokens.loss_mask.size()) std::abort();
  });
  return 0;
}
