// Chat templates for supervised fine-tuning: how a conversation (system, user
// and assistant messages) becomes token ids, which of them the loss trains on,
// and how a prompt for generation ends (the assistant header).
//
// A template is one `turn` pattern holding `{role}` once and then `{content}`
// once, applied to every message in order, plus the `stop` text that ends an
// assistant turn. The default is ChatML:
//   turn: "<|im_start|>{role}\n{content}<|im_end|>\n"   stop: "<|im_end|>"
// Every `<|name|>` in the pattern is a special token: the tokenizer gets it as
// one id (with_chat_tokens appends the ones it lacks), and message contents
// can never produce it (they are encoded with special tokens disabled). The
// stop text must be one of them: generation ends when the model emits it.
//
// Tokens of a turn are encoded in three pieces (header = the pattern before
// `{content}` with the role filled in, the content, footer = the rest), so
// training and generation see the same ids at every boundary. The loss mask
// is 1 on an assistant message's content and its footer up to and including
// the stop token; everything else (headers, system and user turns, text after
// the stop) is 0 unless train_on_prompt, which sets every token to 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/tokenizer.h"

namespace forge::data {

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
  bool operator==(const ChatMessage&) const = default;
};

// The roles a conversation may hold.
const std::vector<std::string>& chat_roles();

struct ChatTemplate {
  std::string turn = "<|im_start|>{role}\n{content}<|im_end|>\n";
  std::string stop = "<|im_end|>";
  bool operator==(const ChatTemplate&) const = default;

  // Throws forge::Error naming `origin` (e.g. "sft.chat_turn") when the turn
  // lacks {role} or {content}, holds either twice or in the wrong order, or
  // when stop is not a special token of the footer.
  void validate(const std::string& origin) const;
  // Every distinct `<|...|>` of the turn pattern, in order of first appearance.
  std::vector<std::string> special_tokens() const;
  // The pattern before {content} with {role} filled in, and after {content}.
  std::string header(const std::string& role) const;
  std::string footer() const;
};

// `tokenizer` plus the template's special tokens it lacks, appended in order
// at ids vocab_size(), vocab_size() + 1, ... (specials it has are kept).
Tokenizer with_chat_tokens(const Tokenizer& tokenizer, const ChatTemplate& chat_template);

// Throws forge::Error naming `origin` (the tokenizer's path) and the missing
// token when the tokenizer does not hold every special token of the template.
void check_chat_tokens(const Tokenizer& tokenizer, const ChatTemplate& chat_template, const std::string& origin);

// The id of the stop token (check_chat_tokens first).
int32_t chat_stop_id(const Tokenizer& tokenizer, const ChatTemplate& chat_template);

struct ChatTokens {
  std::vector<int32_t> ids;
  std::vector<uint8_t> loss_mask;  // one per id, 1 = trained on
};

// Every message rendered with the template (see the file comment for the mask).
ChatTokens render_conversation(Tokenizer& tokenizer, const ChatTemplate& chat_template,
                               const std::vector<ChatMessage>& messages, bool train_on_prompt = false);

// The ids a model continues to answer as the assistant: `history` rendered,
// then the assistant header.
std::vector<int32_t> render_prompt(Tokenizer& tokenizer, const ChatTemplate& chat_template,
                                   const std::vector<ChatMessage>& history);

}  // namespace forge::data
