// libFuzzer target: the documents `forge prepare` reads from an input file
// (data::DocumentReader, and data::jsonl_text for each JSONL line). The first
// byte picks the input kind: even = JSONL ({"text": ...} per line), odd =
// plain text split at lines equal to the separator "<doc>"; the rest is the file.
#include "data/text_input.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool jsonl = data[0] % 2 == 0;
  const std::string path = forge::fuzz::write_scratch(
      jsonl ? "input.jsonl" : "input.txt", std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  forge::fuzz::expect_ok_or_error([&] {
    forge::data::DocumentReader reader({path}, jsonl ? "" : "<doc>");
    forge::data::RawDocument doc;
    while (reader.next(doc))
      if (doc.jsonl) forge::data::jsonl_text(doc.text, "text", path + ":" + std::to_string(doc.line));
  });
  return 0;
}
