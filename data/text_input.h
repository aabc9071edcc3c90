// The inputs of `forge prepare`, read as a stream: files, folders and globs
// expanded into one sorted list of files, each read through zlib (.gz) or
// libzstd (.zst) when compressed, and cut into raw documents:
//   *.jsonl (also .jsonl.gz / .jsonl.zst): one JSON object per non-blank line;
//     the raw document is the line, parsed later (on the tokenizing threads);
//   anything else: text, one document per file, or documents separated by
//     lines equal to a separator.
// Memory is one read buffer plus the document being assembled.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace forge::data {

// Every file `inputs` name, in order: a file as is; a folder's regular files,
// recursively, sorted, hidden names (".x") left out; a pattern with * ? or [
// (glob(3)), its matches sorted. An input that names nothing is an error naming it.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs);

// Whether a file holds JSONL: its name ends in .jsonl, maybe followed by .gz or .zst.
bool is_jsonl(const std::string& path);

// The text of a JSONL line's `field`; errors name `where` (file:line).
std::string jsonl_text(const std::string& line, const std::string& field, const std::string& where);

// The decompressed bytes of a file, read sequentially.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Up to n bytes into buf; 0 at the end. Corrupt or truncated compressed data is an error naming the file.
  virtual size_t read(char* buf, size_t n) = 0;
  // Bytes of the file (compressed, when it is) consumed so far.
  virtual uint64_t consumed() const = 0;
};
std::unique_ptr<ByteReader> open_bytes(const std::string& path);

struct RawDocument {
  std::string text;  // the document, or its JSONL line
  bool jsonl = false;
  size_t file = 0;   // index into DocumentReader::files()
  int64_t line = 0;  // JSONL: the line number (from 1)
};

class DocumentReader {
 public:
  // separator: text files are cut at lines equal to it ("" = one document per file).
  DocumentReader(std::vector<std::string> files, std::string separator);
  ~DocumentReader();
  // The next document in file order; false after the last one.
  bool next(RawDocument& doc);
  const std::vector<std::string>& files() const { return files_; }
  uint64_t bytes_consumed() const;  // of all files so far (compressed bytes for compressed files)
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  bool next_line(std::string& line);  // without its '\n'; false at the end of the current file
  bool open_next_file();
  void close_file();

  std::vector<std::string> files_;
  std::string separator_;
  uint64_t total_bytes_ = 0, finished_bytes_ = 0;
  size_t current_ = 0;  // index of the next file to open
  std::unique_ptr<ByteReader> reader_;
  bool jsonl_ = false;
  int64_t line_no_ = 0;
  bool newline_ = true;  // whether the line next_line returned ended in '\n'
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
};

}  // namespace forge::data
