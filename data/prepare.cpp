// Document reading, tokenization and shard writing for `forge prepare`.
#include "data/prepare.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/philox.h"
#include "data/token_shards.h"
#include "data/tokenizer_files.h"

namespace forge::data {
namespace fs = std::filesystem;

std::vector<std::string> read_documents(const std::string& path, const std::string& separator) {
  const std::string text = read_text_file(path);
  std::vector<std::string> docs;
  if (fs::path(path).extension() == ".jsonl") {
    std::istringstream in(text);
    std::string line;
    int64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        FORGE_THROW(path << ":" << line_no << ": invalid JSON: " << e.what());
      }
      FORGE_CHECK(j.is_object() && j.contains("text") && j["text"].is_string(),
                  path << ":" << line_no << ": expected an object with a string field \"text\"");
      docs.push_back(j["text"].get<std::string>());
    }
    return docs;
  }
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

namespace {

struct Split {
  std::string prefix;
  TokenShard shard;
  std::vector<TokenShard> done;
};

void flush(Split& s) {
  if (!s.shard.tokens.empty()) s.done.push_back(std::move(s.shard));
  s.shard = TokenShard{};
}

}  // namespace

PrepareSummary prepare(Tokenizer& tokenizer, const std::vector<std::string>& inputs, const PrepareOptions& o) {
  FORGE_CHECK(!inputs.empty(), "prepare: no input files given");
  FORGE_CHECK(o.val_fraction >= 0.0 && o.val_fraction < 1.0,
              "prepare: --val-fraction must be in [0, 1), got " << o.val_fraction);
  FORGE_CHECK(o.shard_tokens > 0, "prepare: --shard-tokens must be > 0");
  const int32_t eot = tokenizer.eot_id();
  char fp[32];
  std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(tokenizer.fingerprint()));

  Split train, val;
  train.prefix = "train";
  val.prefix = "val";
  PrepareSummary summary;
  int64_t doc_index = 0;
  for (const std::string& input : inputs) {
    for (const std::string& doc : read_documents(input, o.separator)) {
      auto r = philox4x32(static_cast<uint64_t>(doc_index++), o.seed ^ 0x5eedu);
      Split& s = uniform_from_bits(r[0]) < o.val_fraction ? val : train;
      std::vector<int32_t> ids = tokenizer.encode(doc, /*allow_special=*/false);
      if (eot >= 0) ids.push_back(eot);
      s.shard.doc_offsets.push_back(static_cast<int64_t>(s.shard.tokens.size()));
      s.shard.tokens.insert(s.shard.tokens.end(), ids.begin(), ids.end());
      (&s == &val ? summary.val_tokens : summary.train_tokens) += static_cast<int64_t>(ids.size());
      ++summary.documents;
      if (static_cast<int64_t>(s.shard.tokens.size()) >= o.shard_tokens) flush(s);
    }
  }
  flush(train);
  flush(val);
  FORGE_CHECK(!train.done.empty(), "prepare: the inputs hold no documents");
  FORGE_CHECK(o.val_fraction == 0.0 || !val.done.empty(),
              "prepare: --val-fraction " << o.val_fraction << " selected no document for validation (only "
                                         << summary.documents << " documents); raise it or add data");

  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  FORGE_CHECK(!ec && fs::is_directory(o.out_dir), "prepare: cannot create output directory '" << o.out_dir << "'");
  for (Split* s : {&train, &val}) {
    for (size_t i = 0; i < s->done.size(); ++i) {
      TokenShard& shard = s->done[i];
      shard.vocab_size = tokenizer.vocab_size();
      shard.tokenizer_fingerprint = fp;
      char name[64];
      std::snprintf(name, sizeof name, "%s_%06zu.h5", s->prefix.c_str(), i);
      const std::string path = (fs::path(o.out_dir) / name).string();
      write_shard(path, shard);
      summary.files.push_back(path);
    }
  }
  return summary;
}

}  // namespace forge::data
