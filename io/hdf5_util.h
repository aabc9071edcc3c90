// Thin RAII and error checking over the HDF5 C API, shared by token shards
// and checkpoints. Every HDF5 call's failure becomes a forge::Error naming the
// file and what was being done (HDF5's own error stack printing is silenced).
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace forge::h5 {

// Owns one hid_t and closes it with the right H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  // Gives up ownership (the caller closes the id and checks the result).
  hid_t release() {
    const hid_t id = id_;
    id_ = -1;
    return id;
  }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Silences HDF5's automatic error printing (forge reports errors itself).
void quiet_errors();

// HDF5's own account of the failure that just happened (read it before the next
// HDF5 call): the operating system's message when one is on the error stack
// (e.g. "No space left on device"), else the innermost description (e.g. "data
// error detected by Fletcher32 checksum"); "" when the stack is empty.
std::string error_message();

Handle create_file(const std::string& path);      // truncates
Handle open_file_readonly(const std::string& path);  // error names the path and says if it is not HDF5
bool exists(hid_t loc, const std::string& name);

// 1-d dataset of integers: `dtype` is an H5T_NATIVE_* type id; `file_type` the on-disk type.
void write_1d(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type, const void* data, size_t n,
              const std::string& file_for_errors);
// Reads a whole 1-d dataset converted to mem_type; returns its length.
size_t dataset_length(hid_t loc, const std::string& name, const std::string& file_for_errors);
void read_1d(hid_t loc, const std::string& name, hid_t mem_type, void* out, const std::string& file_for_errors);

// The dataset's dimensions.
std::vector<int64_t> dataset_shape(hid_t loc, const std::string& name, const std::string& file_for_errors);
// Reads a whole dataset converted to mem_type; a Fletcher-32 mismatch is an
// error naming the dataset and the file. Datasets chunked along dim 0 into
// whole rows with Fletcher-32 as the only filter (format-1 checkpoints) are
// read chunk by chunk and verified while copied (direct chunk read through
// `staging`, a buffer of one chunk reused across calls; nullptr = a temporary
// one); others go through H5Dread.
void read_nd(hid_t loc, const std::string& name, hid_t mem_type, void* out, const std::string& file_for_errors,
             std::vector<unsigned char>* staging = nullptr);

// Attribute writers throw forge::Error naming the attribute when HDF5 fails.
void write_attr_int(hid_t loc, const std::string& name, int64_t value);
void write_attr_uint64(hid_t loc, const std::string& name, uint64_t value);
void write_attr_double(hid_t loc, const std::string& name, double value);
void write_attr_string(hid_t loc, const std::string& name, const std::string& value);
int64_t read_attr_int(hid_t loc, const std::string& name, const std::string& file_for_errors);
uint64_t read_attr_uint64(hid_t loc, const std::string& name, const std::string& file_for_errors);
double read_attr_double(hid_t loc, const std::string& name, const std::string& file_for_errors);
std::string read_attr_string(hid_t loc, const std::string& name, const std::string& file_for_errors);

}  // namespace forge::h5
