// `forge prepare`: text or JSONL documents -> tokenized HDF5 shards with a
// deterministic train/val split by document, streaming with bounded memory.
//
// Inputs are read as a stream (data/text_input.h: files, folders, globs, .gz
// and .zst) in batches of about kBatchBytes; each batch's documents are
// tokenized on every thread (JSONL lines parsed there too), then appended in
// input order to the train or val split and written shard by shard
// (data/shard_split.h). The output therefore does not depend on the number of
// threads, and memory is a batch plus one shard per split whatever the input
// size (one document, e.g. a whole file without --separator, must fit).
// Everything is written into a staging folder published only when the whole
// input succeeded: a bad line fails the command with its file and line and
// leaves the output folder as it was.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "data/tokenizer.h"

namespace forge::data {

struct PrepareOptions {
  std::string out_dir;
  double val_fraction = 0.0;  // share of documents held out, chosen by a hash of the document index
  std::string separator;      // text files: a line equal to this separates documents ("" = one per file)
  std::string text_field = "text";  // JSONL: the field holding the document
  int64_t shard_tokens = 100'000'000;
  uint64_t seed = 0;          // for the val split
  bool replace = false;       // replace a non-empty out_dir (else it is an error)
  int threads = 0;            // tokenizing threads; 0 = OpenMP's default (every core)
  std::FILE* progress = nullptr;  // where progress lines go (nullptr: none)
};

struct PrepareSummary {
  int64_t documents = 0, train_tokens = 0, val_tokens = 0;
  int64_t empty_documents = 0;  // skipped: no text
  uint64_t input_bytes = 0;
  double seconds = 0.0;
  std::vector<std::string> files;  // the shards, under out_dir
};

// Documents are tokenized as plain text (a document holding "<|endoftext|>"
// gets that text's bytes, never the special token), each followed by
// <|endoftext|> when the vocabulary has it. Writes DIR/train_NNNNNN.h5,
// DIR/val_NNNNNN.h5 and DIR/manifest.json. Inputs with no text are an error.
PrepareSummary prepare(const Tokenizer& tokenizer, const std::vector<std::string>& inputs, const PrepareOptions& options);

}  // namespace forge::data
