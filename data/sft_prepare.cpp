// Chat JSONL parsing and SFT shard writing for `forge prepare --sft` (see sft_prepare.h).
#include "data/sft_prepare.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/philox.h"
#include "data/token_shards.h"
#include "data/tokenizer_files.h"

namespace forge::data {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

[[noreturn]] void bad_field(const std::string& where, const std::string& field, const std::string& what) {
  FORGE_THROW(where << ": field \"" << field << "\": " << what);
}

std::string string_field(const Json& j, const std::string& key, const std::string& field, const std::string& where) {
  if (!j.contains(key)) bad_field(where, field, "missing");
  if (!j[key].is_string()) bad_field(where, field, std::string("expected a string, got ") + j[key].type_name());
  return j[key].get<std::string>();
}

std::string roles_text() {
  std::string s;
  for (const auto& r : chat_roles()) s += (s.empty() ? "" : ", ") + r;
  return s;
}

}  // namespace

std::vector<ChatMessage> parse_chat_line(const std::string& line, const std::string& where) {
  Json j;
  try {
    j = Json::parse(line);
  } catch (const Json::exception& e) {
    FORGE_THROW(where << ": invalid JSON: " << e.what());
  }
  FORGE_CHECK(j.is_object(), where << ": expected a JSON object with \"messages\" or \"prompt\" and \"response\", got "
                                   << j.type_name());
  const bool chat = j.contains("messages"), pair = j.contains("prompt") || j.contains("response");
  FORGE_CHECK(chat || pair, where << ": expected a field \"messages\" (a list of {\"role\", \"content\"}) or the fields "
                                     "\"prompt\" and \"response\"; found neither");
  FORGE_CHECK(!(chat && pair), where << ": has both \"messages\" and \"prompt\"/\"response\"; use one format per line");
  std::vector<ChatMessage> messages;
  if (pair) {
    if (j.contains("system")) messages.push_back({"system", string_field(j, "system", "system", where)});
    messages.push_back({"user", string_field(j, "prompt", "prompt", where)});
    messages.push_back({"assistant", string_field(j, "response", "response", where)});
    return messages;
  }
  const Json& list = j["messages"];
  if (!list.is_array()) bad_field(where, "messages", std::string("expected a list of messages, got ") + list.type_name());
  if (list.empty()) bad_field(where, "messages", "empty conversation");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string field = "messages[" + std::to_string(i) + "]";
    const Json& m = list[i];
    if (!m.is_object()) bad_field(where, field, std::string("expected an object {\"role\", \"content\"}, got ") + m.type_name());
    const std::string role = string_field(m, "role", field + ".role", where);
    const auto& roles = chat_roles();
    if (std::find(roles.begin(), roles.end(), role) == roles.end())
      bad_field(where, field + ".role", "unknown role '" + role + "' (expected " + roles_text() + ")");
    messages.push_back({role, string_field(m, "content", field + ".content", where)});
  }
  const bool answered = std::any_of(messages.begin(), messages.end(), [](const ChatMessage& m) { return m.role == "assistant"; });
  if (!answered) bad_field(where, "messages", "no assistant turn (nothing to train on)");
  return messages;
}

ChatFile read_chat_file(const std::string& path, bool skip_bad) {
  const std::string text = read_text_file(path);
  ChatFile out;
  std::istringstream in(text);
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out.conversations.push_back(parse_chat_line(line, path + ":" + std::to_string(line_no)));
    } catch (const Error& e) {
      if (!skip_bad) throw;
      out.errors.push_back(e.what());
    }
  }
  return out;
}

namespace {

struct Split {
  std::string prefix;
  TokenShard shard;
  std::vector<TokenShard> done;
  int64_t conversations = 0, tokens = 0;
};

void flush(Split& s) {
  if (!s.shard.tokens.empty()) s.done.push_back(std::move(s.shard));
  s.shard = TokenShard{};
}

void add(Split& s, const ChatTokens& c, int64_t shard_tokens) {
  s.shard.doc_offsets.push_back(static_cast<int64_t>(s.shard.tokens.size()));
  s.shard.tokens.insert(s.shard.tokens.end(), c.ids.begin(), c.ids.end());
  s.shard.loss_mask.insert(s.shard.loss_mask.end(), c.loss_mask.begin(), c.loss_mask.end());
  ++s.conversations;
  s.tokens += static_cast<int64_t>(c.ids.size());
  if (static_cast<int64_t>(s.shard.tokens.size()) >= shard_tokens) flush(s);
}

}  // namespace

SftPrepareSummary prepare_sft(const Tokenizer& base, const std::vector<std::string>& inputs,
                              const SftPrepareOptions& o) {
  FORGE_CHECK(!inputs.empty(), "prepare --sft: no input files given");
  FORGE_CHECK(o.val_fraction >= 0.0 && o.val_fraction < 1.0,
              "prepare --sft: --val-fraction must be in [0, 1), got " << o.val_fraction);
  FORGE_CHECK(o.shard_tokens > 0, "prepare --sft: --shard-tokens must be > 0");
  o.chat_template.validate("prepare --sft chat template");
  Tokenizer tokenizer = with_chat_tokens(base, o.chat_template);
  char fp[32];
  std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(tokenizer.fingerprint()));

  SftPrepareSummary summary;
  Split train, val;
  train.prefix = "train";
  val.prefix = "val";
  int64_t index = 0;
  auto read_all = [&](const std::vector<std::string>& files, bool held_out) {
    for (const std::string& path : files) {
      ChatFile f = read_chat_file(path, o.skip_bad);
      summary.skipped.insert(summary.skipped.end(), f.errors.begin(), f.errors.end());
      for (const auto& conversation : f.conversations) {
        const ChatTokens c = render_conversation(tokenizer, o.chat_template, conversation, o.train_on_prompt);
        auto r = philox4x32(static_cast<uint64_t>(index++), o.seed ^ 0x5f7u);
        Split& s = held_out || uniform_from_bits(r[0]) < o.val_fraction ? val : train;
        add(s, c, o.shard_tokens);
        summary.trained_tokens += std::count(c.loss_mask.begin(), c.loss_mask.end(), uint8_t{1});
      }
    }
  };
  read_all(inputs, false);
  read_all(o.val_inputs, true);
  flush(train);
  flush(val);
  FORGE_CHECK(!train.done.empty(), "prepare --sft: the inputs hold no valid conversation"
                                       << (summary.skipped.empty() ? "" : " (every line was malformed)"));
  FORGE_CHECK(o.val_fraction == 0.0 || !val.done.empty(),
              "prepare --sft: --val-fraction " << o.val_fraction << " selected no conversation for validation (only "
                                               << train.conversations << "); raise it or add data");

  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  FORGE_CHECK(!ec && fs::is_directory(o.out_dir), "prepare --sft: cannot create output directory '" << o.out_dir << "'");
  summary.tokenizer_dir = (fs::path(o.out_dir) / "tokenizer").string();
  save_tokenizer(tokenizer, summary.tokenizer_dir);
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
  summary.train_conversations = train.conversations;
  summary.val_conversations = val.conversations;
  summary.train_tokens = train.tokens;
  summary.val_tokens = val.tokens;
  summary.vocab_size = tokenizer.vocab_size();
  return summary;
}

}  // namespace forge::data
