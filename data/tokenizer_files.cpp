// GPT-2 (vocab.json + merges.txt) and Hugging Face (tokenizer.json) tokenizer
// files, read and written with nlohmann::json (see tokenizer_files.h).
#include "data/tokenizer_files.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "data/tokenizer_bytes.h"

namespace forge::data {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

Json parse_json_file(const fs::path& path) {
  const std::string text = read_text_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    FORGE_THROW("'" << path.string() << "' is not valid JSON: " << e.what());
  }
}

// A vocabulary being assembled from a file: unicode-spelled tokens -> ids.
struct VocabBuilder {
  fs::path file;
  std::map<int32_t, std::string> by_id;  // raw bytes
  std::vector<SpecialToken> specials;

  void add(const std::string& spelled, int64_t id, bool special) {
    FORGE_CHECK(id >= 0 && id < (int64_t{1} << 31), "'" << file.string() << "': token '" << spelled
                                                           << "' has invalid id " << id);
    std::string bytes;
    if (special) {
      bytes = spelled;
    } else {
      auto b = unicode_text_to_bytes(spelled);
      FORGE_CHECK(b.has_value(), "'" << file.string() << "': token '" << spelled << "' (id " << id
                                     << ") is not spelled in GPT-2's byte-level alphabet");
      bytes = std::move(*b);
    }
    auto [it, inserted] = by_id.emplace(static_cast<int32_t>(id), bytes);
    FORGE_CHECK(inserted || it->second == bytes,
                "'" << file.string() << "': id " << id << " is given to two different tokens");
    if (special) {
      for (const auto& s : specials) if (s.id == id) return;
      specials.push_back({spelled, static_cast<int32_t>(id)});
    }
  }

  std::vector<std::string> dense_tokens() const {
    std::vector<std::string> tokens;
    tokens.reserve(by_id.size());
    for (const auto& [id, bytes] : by_id) {
      FORGE_CHECK(id == static_cast<int32_t>(tokens.size()),
                  "'" << file.string() << "': token ids must be 0..N-1 without gaps, but id "
                      << tokens.size() << " is missing");
      tokens.push_back(bytes);
    }
    return tokens;
  }
};

// Resolves merges given as unicode-spelled pairs; `where(i)` names merge i.
template <typename Where>
std::vector<MergePair> resolve_merges(const std::vector<std::pair<std::string, std::string>>& spelled,
                                      const std::vector<std::string>& tokens, const std::vector<SpecialToken>& specials,
                                      Where where) {
  std::unordered_map<std::string, int32_t> ids;
  std::vector<char> is_special(tokens.size(), 0);
  for (const auto& s : specials) is_special[s.id] = 1;
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (!is_special[id]) ids.emplace(tokens[id], static_cast<int32_t>(id));
  }
  std::vector<MergePair> merges;
  merges.reserve(spelled.size());
  for (size_t i = 0; i < spelled.size(); ++i) {
    int32_t side[2];
    const std::string* parts[2] = {&spelled[i].first, &spelled[i].second};
    for (int k = 0; k < 2; ++k) {
      auto bytes = unicode_text_to_bytes(*parts[k]);
      auto it = bytes ? ids.find(*bytes) : ids.end();
      FORGE_CHECK(it != ids.end(), where(i) << ": merge '" << spelled[i].first << " " << spelled[i].second
                                            << "' names '" << *parts[k] << "', which is not in the vocabulary");
      side[k] = it->second;
    }
    FORGE_CHECK(ids.count(tokens[side[0]] + tokens[side[1]]),
                where(i) << ": merge '" << spelled[i].first << " " << spelled[i].second
                         << "' yields a token that is not in the vocabulary");
    merges.push_back({side[0], side[1]});
  }
  return merges;
}

Tokenizer build(const VocabBuilder& vocab, std::vector<MergePair> merges) {
  // Specials in id order, whatever order the file listed them in (JSON objects
  // are unordered), so the same tokenizer always has the same fingerprint.
  std::vector<SpecialToken> specials = vocab.specials;
  std::sort(specials.begin(), specials.end(), [](const SpecialToken& a, const SpecialToken& b) { return a.id < b.id; });
  try {
    return Tokenizer(vocab.dense_tokens(), std::move(merges), std::move(specials));
  } catch (const Error& e) {
    FORGE_THROW("'" << vocab.file.string() << "': " << e.what());
  }
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  FORGE_CHECK(out, "cannot open '" << path.string() << "' for writing");
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  FORGE_CHECK(out, "error while writing '" << path.string() << "'");
}

// id -> spelling in files: specials verbatim, other tokens byte-to-unicode.
std::vector<std::string> spelled_tokens(const Tokenizer& t) {
  std::vector<std::string> out(t.vocab_size());
  for (int32_t id = 0; id < t.vocab_size(); ++id) out[id] = bytes_to_unicode_text(t.token(id));
  for (const auto& s : t.special_tokens()) out[s.id] = s.content;
  return out;
}

std::string dump(const OrderedJson& j, int indent, const fs::path& path) {
  try {
    return j.dump(indent);
  } catch (const OrderedJson::exception& e) {
    FORGE_THROW("cannot write '" << path.string() << "': " << e.what());
  }
}

// {"tok": id, ...} in id order. Written by hand: ordered_json's insertion is
// a linear search per key, quadratic for a 50k vocabulary.
std::string vocab_json_text(const std::vector<std::string>& spelled, const std::string& indent,
                            const fs::path& path) {
  std::string out = "{";
  std::string sep = ",";
  if (!indent.empty()) {
    sep.append("\n").append(indent);
    out.append("\n").append(indent);
  }
  for (size_t id = 0; id < spelled.size(); ++id) {
    if (id) out += sep;
    out += dump(OrderedJson(spelled[id]), -1, path);
    out += indent.empty() ? ":" : ": ";
    out += std::to_string(id);
  }
  if (!indent.empty()) out.append("\n").append(indent, 2);
  out.push_back('}');
  return out;
}

}  // namespace

std::string read_text_file(const fs::path& path) {
  std::error_code ec;
  FORGE_CHECK(fs::is_regular_file(path, ec), "'" << path.string() << "' does not exist or is not a file");
  std::ifstream in(path, std::ios::binary);
  FORGE_CHECK(in, "cannot open '" << path.string() << "' for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  FORGE_CHECK(!in.bad(), "error while reading '" << path.string() << "'");
  return std::move(ss).str();
}

void for_each_nonblank_line(const fs::path& path, const std::function<void(const std::string&, int64_t)>& fn) {
  std::istringstream in(read_text_file(path));
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    fn(line, line_no);
  }
}

Tokenizer load_gpt2_tokenizer(const fs::path& vocab_json, const fs::path& merges_txt) {
  const Json vocab = parse_json_file(vocab_json);
  FORGE_CHECK(vocab.is_object(), "'" << vocab_json.string() << "': expected a JSON object {\"token\": id, ...}");
  // Special tokens besides <|endoftext|> are listed in added_tokens.json next to
  // vocab.json ({"<|im_start|>": 4096, ...}, Hugging Face's GPT-2 convention).
  std::map<std::string, int64_t> added;
  const fs::path added_json = vocab_json.parent_path() / "added_tokens.json";
  std::error_code ec;
  if (fs::exists(added_json, ec)) {
    const Json a = parse_json_file(added_json);
    FORGE_CHECK(a.is_object(), "'" << added_json.string() << "': expected a JSON object {\"token\": id, ...}");
    for (const auto& [key, value] : a.items()) {
      FORGE_CHECK(value.is_number_integer(),
                  "'" << added_json.string() << "': the id of token '" << key << "' is not an integer");
      added[key] = value.get<int64_t>();
    }
  }
  VocabBuilder builder{vocab_json, {}, {}};
  for (const auto& [key, value] : vocab.items()) {
    FORGE_CHECK(value.is_number_integer(),
                "'" << vocab_json.string() << "': the id of token '" << key << "' is not an integer");
    auto it = added.find(key);
    builder.add(key, value.get<int64_t>(), key == kEndOfText || (it != added.end() && it->second == value.get<int64_t>()));
  }
  builder.file = added_json;
  for (const auto& [key, id] : added) builder.add(key, id, true);
  builder.file = vocab_json;
  const std::vector<std::string> tokens = builder.dense_tokens();

  const std::string text = read_text_file(merges_txt);
  std::vector<std::pair<std::string, std::string>> spelled;
  std::vector<size_t> line_of;
  std::istringstream lines(text);
  std::string line;
  for (size_t number = 1; std::getline(lines, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (number == 1 && line.rfind("#version", 0) == 0)) continue;
    const size_t space = line.find(' ');
    FORGE_CHECK(space != std::string::npos && space > 0 && space + 1 < line.size() &&
                    line.find(' ', space + 1) == std::string::npos,
                "'" << merges_txt.string() << "' line " << number << ": expected two tokens separated by one space, got '"
                    << line << "'");
    spelled.emplace_back(line.substr(0, space), line.substr(space + 1));
    line_of.push_back(number);
  }
  auto merges = resolve_merges(spelled, tokens, builder.specials, [&](size_t i) {
    std::ostringstream where;
    where << "'" << merges_txt.string() << "' line " << line_of[i];
    return where.str();
  });
  return build(builder, std::move(merges));
}

Tokenizer load_hf_tokenizer_json(const fs::path& path) {
  const Json j = parse_json_file(path);
  std::ostringstream quoted;
  quoted << "'" << path.string() << "'";
  const std::string name = quoted.str();
  FORGE_CHECK(j.is_object() && j.contains("model") && j["model"].is_object(),
              name << ": not a Hugging Face tokenizer.json (no \"model\" object)");
  const Json& model = j["model"];
  const std::string type = model.value("type", std::string("BPE"));
  FORGE_CHECK(type == "BPE", name << ": model type is '" << type << "'; forge reads byte-level BPE only");
  FORGE_CHECK(!j.contains("normalizer") || j["normalizer"].is_null(),
              name << ": has a normalizer, which forge's byte-level BPE does not support");
  if (j.contains("pre_tokenizer") && !j["pre_tokenizer"].is_null()) {
    const Json& pre = j["pre_tokenizer"];
    FORGE_CHECK(pre.value("type", std::string()) == "ByteLevel",
                name << ": pre_tokenizer is '" << pre.value("type", std::string("?"))
                     << "'; forge supports only GPT-2's ByteLevel pre-tokenizer");
    FORGE_CHECK(!pre.value("add_prefix_space", false) && pre.value("use_regex", true),
                name << ": ByteLevel pre_tokenizer with add_prefix_space=true or use_regex=false is not supported");
  }
  FORGE_CHECK(model.contains("vocab") && model["vocab"].is_object(), name << ": model.vocab is missing");
  FORGE_CHECK(model.contains("merges") && model["merges"].is_array(), name << ": model.merges is missing");

  VocabBuilder builder{path, {}, {}};
  std::map<std::string, int64_t> added;
  if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
    for (const auto& t : j["added_tokens"]) {
      FORGE_CHECK(t.is_object() && t.contains("id") && t["id"].is_number_integer() && t.contains("content") &&
                      t["content"].is_string(),
                  name << ": each added_tokens entry needs an integer \"id\" and a string \"content\"");
      added[t["content"].get<std::string>()] = t["id"].get<int64_t>();
      builder.add(t["content"].get<std::string>(), t["id"].get<int64_t>(), true);
    }
  }
  for (const auto& [key, value] : model["vocab"].items()) {
    FORGE_CHECK(value.is_number_integer(), name << ": the id of token '" << key << "' is not an integer");
    auto it = added.find(key);
    if (it != added.end() && it->second == value.get<int64_t>()) continue;  // listed again in the vocab
    builder.add(key, value.get<int64_t>(), false);
  }
  const std::vector<std::string> tokens = builder.dense_tokens();

  std::vector<std::pair<std::string, std::string>> spelled;
  for (const auto& m : model["merges"]) {
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      FORGE_CHECK(space != std::string::npos && s.find(' ', space + 1) == std::string::npos,
                  name << ": merge '" << s << "' is not two tokens separated by one space");
      spelled.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else {
      FORGE_CHECK(m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string(),
                  name << ": each merge must be \"left right\" or [\"left\", \"right\"], got " << m.dump());
      spelled.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    }
  }
  auto merges = resolve_merges(spelled, tokens, builder.specials,
                               [&](size_t i) {
                                 std::ostringstream where;
                                 where << name << " merge " << i;
                                 return where.str();
                               });
  return build(builder, std::move(merges));
}

Tokenizer load_tokenizer(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path vocab = path / "vocab.json", merges = path / "merges.txt", hf = path / "tokenizer.json";
    if (fs::exists(vocab, ec) || fs::exists(merges, ec) || !fs::exists(hf, ec)) {
      return load_gpt2_tokenizer(vocab, merges);  // names whichever file is missing
    }
    return load_hf_tokenizer_json(hf);
  }
  FORGE_CHECK(fs::exists(path, ec), "tokenizer '" << path.string()
                                                  << "' does not exist (expected a folder with vocab.json + merges.txt, "
                                                     "or a tokenizer.json file)");
  return load_hf_tokenizer_json(path);
}

void save_gpt2_tokenizer(const Tokenizer& t, const fs::path& vocab_json, const fs::path& merges_txt) {
  const std::vector<std::string> spelled = spelled_tokens(t);
  write_file(vocab_json, vocab_json_text(spelled, "", vocab_json) + "\n");

  std::string merges = "#version: 0.2\n";
  for (const auto& m : t.merges()) merges += spelled[m.left] + " " + spelled[m.right] + "\n";
  write_file(merges_txt, merges);

  // Specials other than <|endoftext|> go to added_tokens.json, so that
  // load_gpt2_tokenizer knows them as special; none -> no file.
  OrderedJson added = OrderedJson::object();
  for (const auto& s : t.special_tokens())
    if (s.content != kEndOfText) added[s.content] = s.id;
  const fs::path added_json = vocab_json.parent_path() / "added_tokens.json";
  std::error_code ec;
  if (!added.empty()) write_file(added_json, dump(added, 2, added_json) + "\n");
  else fs::remove(added_json, ec);
}

void save_hf_tokenizer_json(const Tokenizer& t, const fs::path& path) {
  const std::vector<std::string> spelled = spelled_tokens(t);
  OrderedJson j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = OrderedJson::array();
  for (const auto& s : t.special_tokens()) {
    j["added_tokens"].push_back({{"id", s.id}, {"content", s.content}, {"single_word", false}, {"lstrip", false},
                                 {"rstrip", false}, {"normalized", true}, {"special", true}});
  }
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  j["post_processor"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}};
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  OrderedJson merges = OrderedJson::array();
  for (const auto& m : t.merges()) merges.push_back(spelled[m.left] + " " + spelled[m.right]);
  j["model"] = {{"type", "BPE"},         {"dropout", nullptr},     {"unk_token", nullptr},
                {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""}, {"fuse_unk", false},
                {"byte_fallback", false}, {"vocab", "@VOCAB@"},     {"merges", std::move(merges)}};
  // Splice the hand-written vocabulary in place of its placeholder.
  std::string text = dump(j, 2, path);
  const std::string placeholder = "\"@VOCAB@\"";
  const size_t at = text.rfind(placeholder);  // after the added tokens, before merges
  text.replace(at, placeholder.size(), vocab_json_text(spelled, "      ", path));
  write_file(path, text + "\n");
}

void save_tokenizer(const Tokenizer& t, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  FORGE_CHECK(!ec, "cannot create folder '" << dir.string() << "': " << ec.message());
  save_gpt2_tokenizer(t, dir / "vocab.json", dir / "merges.txt");
  save_hf_tokenizer_json(t, dir / "tokenizer.json");
}

}  // namespace forge::data
