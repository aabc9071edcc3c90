// Rendering conversations with a chat template (see chat_template.h).
#include "data/chat_template.h"

#include <algorithm>

#include "common/error.h"

namespace forge::data {
namespace {

constexpr std::string_view kRole = "{role}";
constexpr std::string_view kContent = "{content}";

size_t count_of(const std::string& s, std::string_view what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

std::string replace_all(std::string s, std::string_view what, const std::string& with) {
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
    s.replace(at, what.size(), with);
  return s;
}

void append(std::vector<int32_t>& ids, std::vector<uint8_t>& mask, const std::vector<int32_t>& piece, uint8_t bit) {
  ids.insert(ids.end(), piece.begin(), piece.end());
  mask.insert(mask.end(), piece.size(), bit);
}

}  // namespace

const std::vector<std::string>& chat_roles() {
  static const std::vector<std::string> roles = {"system", "user", "assistant"};
  return roles;
}

void ChatTemplate::validate(const std::string& origin) const {
  FORGE_CHECK(count_of(turn, kRole) == 1 && count_of(turn, kContent) == 1 && turn.find(kRole) < turn.find(kContent),
              origin << ": the chat turn pattern must hold {role} once and then {content} once, got '" << turn << "'");
  const auto specials = special_tokens();
  FORGE_CHECK(std::find(specials.begin(), specials.end(), stop) != specials.end(),
              origin << ": the stop text '" << stop << "' must be one of the turn's special <|...|> tokens");
  FORGE_CHECK(footer().find(stop) != std::string::npos,
              origin << ": the stop text '" << stop << "' must follow {content} in the turn pattern '" << turn << "'");
}

std::vector<std::string> ChatTemplate::special_tokens() const {
  std::vector<std::string> out;
  for (size_t at = turn.find("<|"); at != std::string::npos; at = turn.find("<|", at + 2)) {
    const size_t end = turn.find("|>", at + 2);
    if (end == std::string::npos) break;
    std::string token = turn.substr(at, end + 2 - at);
    if (std::find(out.begin(), out.end(), token) == out.end()) out.push_back(std::move(token));
    at = end;
  }
  return out;
}

std::string ChatTemplate::header(const std::string& role) const {
  return replace_all(turn.substr(0, turn.find(kContent)), kRole, role);
}

std::string ChatTemplate::footer() const { return turn.substr(turn.find(kContent) + kContent.size()); }

Tokenizer with_chat_tokens(const Tokenizer& tokenizer, const ChatTemplate& chat_template) {
  std::vector<std::string> tokens;
  tokens.reserve(static_cast<size_t>(tokenizer.vocab_size()) + 4);
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) tokens.push_back(tokenizer.token(id));
  std::vector<SpecialToken> specials = tokenizer.special_tokens();
  for (const std::string& s : chat_template.special_tokens()) {
    const bool have = std::any_of(specials.begin(), specials.end(), [&](const SpecialToken& t) { return t.content == s; });
    if (have) continue;
    specials.push_back({s, static_cast<int32_t>(tokens.size())});
    tokens.push_back(s);
  }
  return Tokenizer(std::move(tokens), tokenizer.merges(), std::move(specials));
}

void check_chat_tokens(const Tokenizer& tokenizer, const ChatTemplate& chat_template, const std::string& origin) {
  const auto& specials = tokenizer.special_tokens();
  for (const std::string& s : chat_template.special_tokens())
    FORGE_CHECK(std::any_of(specials.begin(), specials.end(), [&](const SpecialToken& t) { return t.content == s; }),
                "the tokenizer '" << origin << "' has no special token " << s
                                  << " of the chat template (use the tokenizer folder that `forge prepare --sft` wrote)");
}

int32_t chat_stop_id(const Tokenizer& tokenizer, const ChatTemplate& chat_template) {
  for (const SpecialToken& s : tokenizer.special_tokens())
    if (s.content == chat_template.stop) return s.id;
  FORGE_THROW("the tokenizer has no special token " << chat_template.stop << " (the chat template's stop)");
}

ChatTokens render_conversation(Tokenizer& tokenizer, const ChatTemplate& t, const std::vector<ChatMessage>& messages,
                               bool train_on_prompt) {
  ChatTokens out;
  const std::string footer = t.footer();
  const size_t stop_end = footer.find(t.stop) + t.stop.size();
  const std::vector<int32_t> footer_trained = tokenizer.encode(footer.substr(0, stop_end));
  const std::vector<int32_t> footer_rest = tokenizer.encode(footer.substr(stop_end));
  const uint8_t prompt_bit = train_on_prompt ? 1 : 0;
  for (const ChatMessage& m : messages) {
    const uint8_t bit = m.role == "assistant" ? 1 : prompt_bit;
    append(out.ids, out.loss_mask, tokenizer.encode(t.header(m.role)), prompt_bit);
    append(out.ids, out.loss_mask, tokenizer.encode(m.content, /*allow_special=*/false), bit);
    append(out.ids, out.loss_mask, footer_trained, bit);
    append(out.ids, out.loss_mask, footer_rest, prompt_bit);
  }
  return out;
}

std::vector<int32_t> render_prompt(Tokenizer& tokenizer, const ChatTemplate& t, const std::vector<ChatMessage>& history) {
  std::vector<int32_t> ids = render_conversation(tokenizer, t, history).ids;
  tokenizer.encode_append(t.header("assistant"), ids);
  return ids;
}

}  // namespace forge::data
