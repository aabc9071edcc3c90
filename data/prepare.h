// `forge prepare`: text or JSONL documents -> tokenized HDF5 shards with a
// deterministic train/val split by document.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/tokenizer.h"

namespace forge::data {

struct PrepareOptions {
  std::string out_dir;
  double val_fraction = 0.0;   // share of documents held out, chosen by a hash of the document index
  std::string separator;       // text files: a line equal to this separates documents ("" = one per file)
  int64_t shard_tokens = 100'000'000;
  uint64_t seed = 0;           // for the val split
};

struct PrepareSummary {
  int64_t documents = 0, train_tokens = 0, val_tokens = 0;
  std::vector<std::string> files;
};

// Reads every input (.jsonl: one {"text": ...} object per line; anything else:
// text), tokenizes each document followed by <|endoftext|> when the vocabulary
// has it, and writes DIR/train_NNNNNN.h5 and DIR/val_NNNNNN.h5. All input is
// read and checked before anything is written: a bad line fails the command
// with its file and line number and leaves no partial output.
PrepareSummary prepare(Tokenizer& tokenizer, const std::vector<std::string>& inputs, const PrepareOptions& options);

// Documents of one input file (exposed for tests).
std::vector<std::string> read_documents(const std::string& path, const std::string& separator);

}  // namespace forge::data
