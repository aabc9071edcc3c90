// Large arrays in HDF5 files at disk speed: a contiguous (unfiltered) dataset
// whose bytes forge moves itself with pwrite/pread at the dataset's file offset
// (H5Dget_offset), straight between the caller's memory and the file, in
// blocks that are checksummed (CRC-32C, io/crc32c.h) right after they are
// read or right before they are written, while they are still in cache. The
// checksum of the whole dataset is its `crc32c` attribute (uint32), so any
// HDF5 reader (h5py included) reads the data as an ordinary dataset and can
// verify it (e.g. with Python's `crc32c` package).
//
// Only files opened or created with HDF5's default (sec2) driver, no user
// block; the dataset's file type must be the memory representation (e.g.
// H5T_IEEE_F32LE for a float on x86-64/arm64), so the bytes are the values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/hdf5_util.h"

namespace forge::h5 {

// The attribute holding the dataset's CRC-32C.
inline constexpr const char* kCrc32cAttribute = "crc32c";

// Creates dataset `name` (rank >= 1, `dims`) of `file_type` under `loc` in the
// file `file_id`, contiguous and allocated at once, writes `data` into it and
// stores its CRC-32C. `file_for_errors` names the file in errors (a failed
// write names the system's reason, e.g. "No space left on device").
void write_contiguous(hid_t file_id, hid_t loc, const std::string& name, hid_t file_type, const void* data,
                      const std::vector<int64_t>& dims, const std::string& file_for_errors);

// Whether dataset `ds` is stored as write_contiguous stores it with file type
// equal to `mem_type`: contiguous, no filters, a `crc32c` attribute.
bool is_checked_contiguous(hid_t ds, hid_t mem_type);

// Reads such a dataset (`nbytes`, its whole size) into `out` and verifies its
// CRC-32C; a mismatch is a forge::Error "checksum mismatch in dataset '<name>'
// of '<file>'" that says the file is corrupt.
void read_contiguous(hid_t file_id, hid_t ds, const std::string& name, void* out, size_t nbytes,
                     const std::string& file_for_errors);

// Many datasets at once: locate each (the HDF5 calls, on the calling thread),
// then read them all with read_contiguous_all, which makes no HDF5 call and
// spreads the datasets over the OpenMP threads (faulting in fresh memory,
// copying and checksumming on one core while another waits for the disk).
struct ContiguousRead {
  std::string name;     // for errors
  uint64_t offset = 0;  // of the data in the file
  size_t nbytes = 0;
  uint32_t crc32c = 0;  // the stored checksum
  void* out = nullptr;  // nbytes of destination
};
ContiguousRead locate_contiguous(hid_t ds, const std::string& name, void* out, size_t nbytes,
                                 const std::string& file_for_errors);
// Errors as read_contiguous; with several bad datasets, the first in `jobs` is named.
void read_contiguous_all(hid_t file_id, const std::vector<ContiguousRead>& jobs, const std::string& file_for_errors);

}  // namespace forge::h5
