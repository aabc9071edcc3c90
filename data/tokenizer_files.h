// Reading and writing tokenizer files:
//  - GPT-2's pair vocab.json ({"token": id, ...} in id order) + merges.txt
//    ("#version: 0.2" then one "left right" merge per line, in rank order),
//    tokens spelled with GPT-2's byte-to-unicode mapping (tokenizer_bytes.h);
//    <|endoftext|> in vocab.json is the special token, as in GPT-2's files;
//  - Hugging Face's tokenizer.json with a byte-level BPE model, ByteLevel
//    pre-tokenizer and decoder, and the special tokens as added_tokens.
// Every error (missing file, bad JSON, unknown token in a merge, ...) is a
// forge::Error whose message names the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "data/tokenizer.h"

namespace forge::data {

// `path` is a folder holding vocab.json + merges.txt (or else tokenizer.json),
// or a tokenizer.json file.
Tokenizer load_tokenizer(const std::filesystem::path& path);
Tokenizer load_gpt2_tokenizer(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt);
Tokenizer load_hf_tokenizer_json(const std::filesystem::path& tokenizer_json);

// Reads all of a file into a string; throws forge::Error naming it.
std::string read_text_file(const std::filesystem::path& path);

// Calls fn(line, line_no) for every line of a text file (JSONL inputs) that
// is not blank (only spaces, tabs or '\r'); line_no counts from 1.
void for_each_nonblank_line(const std::filesystem::path& path,
                            const std::function<void(const std::string& line, int64_t line_no)>& fn);

// Writes vocab.json, merges.txt and tokenizer.json into `dir` (created).
void save_tokenizer(const Tokenizer& tokenizer, const std::filesystem::path& dir);
void save_gpt2_tokenizer(const Tokenizer& tokenizer, const std::filesystem::path& vocab_json,
                         const std::filesystem::path& merges_txt);
void save_hf_tokenizer_json(const Tokenizer& tokenizer, const std::filesystem::path& tokenizer_json);

}  // namespace forge::data
