// The safetensors file format (Hugging Face's `model.safetensors`), read and
// written by forge itself.
//
// Layout: an 8-byte little-endian unsigned header length N, then N bytes of
// JSON (an object mapping each tensor name to {"dtype", "shape",
// "data_offsets": [begin, end]}, plus an optional "__metadata__" object of
// string values), then the data section: each tensor's raw little-endian
// row-major bytes at [begin, end) relative to the end of the header.
//
// Reading validates the whole header before any tensor is touched: the header
// length against the file size, JSON syntax, every entry's fields, that the
// dtype is one of the format's names, that shape x element size equals the
// byte range, and that the ranges lie inside the data section, do not overlap
// and leave no holes. Every failure is a forge::Error naming the file and, where
// there is one, the tensor. F32, F16 and BF16 (and F64) tensors are read as
// fp32. Writing produces F32 tensors only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"

namespace forge::recipes {

// One tensor's header entry.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;            // the format's name: "F32", "BF16", "I64", ...
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte range inside the data section
};

// An open, validated safetensors file. Tensor data is read on demand.
class SafetensorsFile {
 public:
  // Reads and validates the header of `path`; forge::Error on any problem.
  explicit SafetensorsFile(std::string path);

  const std::string& path() const { return path_; }
  // Entries in data order (ascending offsets).
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The entry named `name`, or nullptr.
  const SafetensorsEntry* find(const std::string& name) const;

  // A new contiguous fp32 tensor with the values of `name` (F32, F16, BF16 or
  // F64 in the file); forge::Error naming the file and tensor otherwise.
  Tensor read_f32(const std::string& name) const;

 private:
  std::string path_;
  uint64_t data_start_ = 0;  // file offset of the data section
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, size_t> index_;  // name -> position in entries_
  std::map<std::string, std::string> metadata_;
};

// Writes `tensors` (f32, bf16 and f16 stored as F32, BF16 and F16; f64 as F32) in the given order, with
// `metadata` as "__metadata__", to `path` via `<path>.tmp` + fsync + rename.
// Names must be unique, non-empty and not "__metadata__". forge::Error naming
// the path on I/O failure; the temporary file is removed then.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace forge::recipes
