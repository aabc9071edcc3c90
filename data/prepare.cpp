// Document reading, tokenization and shard writing for `forge prepare`.
#include "data/prepare.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/philox.h"
#include "data/shard_split.h"
#include "data/tokenizer_files.h"

namespace forge::data {
namespace fs = std::filesystem;

std::vector<std::string> read_documents(const std::string& path, const std::string& separator) {
  std::vector<std::string> docs;
  if (fs::path(path).extension() == ".jsonl") {
    for_each_nonblank_line(path, [&](const std::string& line, int64_t line_no) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        FORGE_THROW(path << ":" << line_no << ": invalid JSON: " << e.what());
      }
      FORGE_CHECK(j.is_object() && j.contains("text") && j["text"].is_string(),
                  path << ":" << line_no << ": expected an object with a string field \"text\"");
      docs.push_back(j["text"].get<std::string>());
    });
    return docs;
  }
  const std::string text = read_text_file(path);
  if (separator.empty()) {
    docs.push_back(text);
    return docs;
  }
  std::string current;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == separator) {
      if (!current.empty()) docs.push_back(std::move(current));
      current.clear();
    } else {
      current.append(text, pos, std::min(end + 1, text.size()) - pos);
    }
    pos = end + 1;
  }
  if (!current.empty()) docs.push_back(std::move(current));
  return docs;
}

PrepareSummary prepare(Tokenizer& tokenizer, const std::vector<std::string>& inputs, const PrepareOptions& o) {
  check_prepare_options("prepare", inputs, o.val_fraction, o.shard_tokens);
  const int32_t eot = tokenizer.eot_id();

  ShardSplit train, val;
  train.prefix = "train";
  val.prefix = "val";
  int64_t doc_index = 0;
  for (const std::string& input : inputs) {
    for (const std::string& doc : read_documents(input, o.separator)) {
      auto r = philox4x32(static_cast<uint64_t>(doc_index++), o.seed ^ 0x5eedu);
      ShardSplit& s = uniform_from_bits(r[0]) < o.val_fraction ? val : train;
      std::vector<int32_t> ids = tokenizer.encode(doc, /*allow_special=*/false);
      if (eot >= 0) ids.push_back(eot);
      s.add(ids, {}, o.shard_tokens);
    }
  }
  train.flush();
  val.flush();
  PrepareSummary summary;
  summary.documents = train.documents + val.documents;
  summary.train_tokens = train.tokens;
  summary.val_tokens = val.tokens;
  FORGE_CHECK(!train.done.empty(), "prepare: the inputs hold no documents");
  FORGE_CHECK(o.val_fraction == 0.0 || !val.done.empty(),
              "prepare: --val-fraction " << o.val_fraction << " selected no document for validation (only "
                                         << summary.documents << " documents); raise it or add data");

  create_output_dir("prepare", o.out_dir);
  summary.files = write_splits(o.out_dir, {&train, &val}, tokenizer);
  return summary;
}

}  // namespace forge::data
