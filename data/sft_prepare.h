// `forge prepare --sft`: chat JSONL -> SFT token shards with /loss_mask, plus
// the tokenizer extended with the chat template's special tokens.
//
// Each input line is one conversation, in either format users bring:
//   {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}, ...]}
//   {"prompt": "...", "response": "..."}   (optional "system": "...")
// Other keys are ignored. A line is malformed when it is not JSON, not an
// object, has neither or both formats, an empty or non-list "messages", a
// message that is not an object, an unknown or missing role, a missing or
// non-string content/prompt/response, or no assistant message; the error
// names the file, the line number and the field ("messages[2].role").
// Blank lines are skipped.
//
// Every conversation is rendered with the chat template (data/chat_template.h)
// and stored as one document (doc_offsets) of the shards; its loss mask trains
// every assistant message (and its stop token), or every token with
// train_on_prompt. Nothing is written until every input has been read and
// rendered: a malformed line fails the whole command (unless skip_bad) and
// leaves the output folder untouched. Text inside a message is plain text: a
// message holding "<|im_start|>" cannot open a turn.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/chat_template.h"
#include "data/tokenizer.h"

namespace forge::data {

// One conversation of a JSONL file; `where` is "file:line" for errors.
// Throws forge::Error "<where>: field "<field>": <what was wrong>".
std::vector<ChatMessage> parse_chat_line(const std::string& line, const std::string& where);

struct ChatFile {
  std::vector<std::vector<ChatMessage>> conversations;
  std::vector<std::string> errors;  // skipped lines' messages (skip_bad only)
};

// All conversations of a JSONL file. A malformed line throws, unless
// skip_bad: then it is left out and its message added to `errors`.
ChatFile read_chat_file(const std::string& path, bool skip_bad);

struct SftPrepareOptions {
  std::string out_dir;
  std::vector<std::string> val_inputs;  // files whose conversations all go to the val split
  double val_fraction = 0.0;            // share of the other conversations held out (hash of the index)
  uint64_t seed = 0;                    // for that split
  int64_t shard_tokens = 100'000'000;
  bool skip_bad = false;
  bool train_on_prompt = false;
  bool replace = false;  // replace a non-empty out_dir (else it is an error)
  ChatTemplate chat_template;
};

struct SftPrepareSummary {
  int64_t train_conversations = 0, val_conversations = 0;
  int64_t train_tokens = 0, val_tokens = 0, trained_tokens = 0;  // trained_tokens: mask 1, both splits
  std::vector<std::string> skipped;  // messages of the malformed lines left out
  std::vector<std::string> files;    // shards written
  std::string tokenizer_dir;         // out_dir/tokenizer
  int32_t vocab_size = 0;            // of the extended tokenizer
};

// Reads `inputs` (and options.val_inputs), renders every conversation with the
// template using `tokenizer` plus the template's special tokens, and writes
// out_dir/tokenizer/ (that extended tokenizer), out_dir/train_NNNNNN.h5,
// out_dir/val_NNNNNN.h5 and out_dir/manifest.json, published whole like
// `forge prepare`'s output (data/shard_split.h, StagedOutput).
SftPrepareSummary prepare_sft(const Tokenizer& tokenizer, const std::vector<std::string>& inputs,
                              const SftPrepareOptions& options);

}  // namespace forge::data
