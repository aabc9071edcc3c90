// Chat JSONL parsing and SFT shard writing for `forge prepare --sft` (see sft_prepare.h).
#include "data/sft_prepare.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/philox.h"
#include "data/shard_split.h"
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
  ChatFile out;
  for_each_nonblank_line(path, [&](const std::string& line, int64_t line_no) {
    try {
      out.conversations.push_back(parse_chat_line(line, path + ":" + std::to_string(line_no)));
    } catch (const Error& e) {
      if (!skip_bad) throw;
      out.errors.push_back(e.what());
    }
  });
  return out;
}

SftPrepareSummary prepare_sft(const Tokenizer& base, const std::vector<std::string>& inputs,
                              const SftPrepareOptions& o) {
  check_prepare_options("prepare --sft", inputs, o.val_fraction, o.shard_tokens);
  o.chat_template.validate("prepare --sft chat template");
  Tokenizer tokenizer = with_chat_tokens(base, o.chat_template);

  SftPrepareSummary summary;
  StagedOutput out("prepare --sft", o.out_dir, o.replace);
  ShardSplit train("train", out.staging_dir(), o.out_dir, tokenizer, o.shard_tokens);
  ShardSplit val("val", out.staging_dir(), o.out_dir, tokenizer, o.shard_tokens);
  int64_t index = 0;
  auto read_all = [&](const std::vector<std::string>& files, bool held_out) {
    for (const std::string& path : files) {
      ChatFile f = read_chat_file(path, o.skip_bad);
      summary.skipped.insert(summary.skipped.end(), f.errors.begin(), f.errors.end());
      for (const auto& conversation : f.conversations) {
        const ChatTokens c = render_conversation(tokenizer, o.chat_template, conversation, o.train_on_prompt);
        auto r = philox4x32(static_cast<uint64_t>(index++), o.seed ^ 0x5f7u);
        ShardSplit& s = held_out || uniform_from_bits(r[0]) < o.val_fraction ? val : train;
        s.add(c.ids, c.loss_mask);
        summary.trained_tokens += std::count(c.loss_mask.begin(), c.loss_mask.end(), uint8_t{1});
      }
    }
  };
  read_all(inputs, false);
  read_all(o.val_inputs, true);
  train.flush();
  val.flush();
  FORGE_CHECK(train.documents() > 0, "prepare --sft: the inputs hold no valid conversation"
                                         << (summary.skipped.empty() ? "" : " (every line was malformed)"));
  FORGE_CHECK(o.val_fraction == 0.0 || val.documents() > 0,
              "prepare --sft: --val-fraction " << o.val_fraction << " selected no conversation for validation (only "
                                               << train.documents() << "); raise it or add data");

  save_tokenizer(tokenizer, (fs::path(out.staging_dir()) / "tokenizer").string());
  for (const std::string& name : write_split_manifest(out.staging_dir(), {&train, &val}, tokenizer))
    summary.files.push_back((fs::path(o.out_dir) / name).string());
  out.publish();
  summary.tokenizer_dir = (fs::path(o.out_dir) / "tokenizer").string();
  summary.train_conversations = train.documents();
  summary.val_conversations = val.documents();
  summary.train_tokens = train.tokens();
  summary.val_tokens = val.tokens();
  summary.vocab_size = tokenizer.vocab_size();
  return summary;
}

}  // namespace forge::data
