// Contiguous checksummed HDF5 datasets moved with pwrite/pread (see hdf5_contiguous.h).
//
// Blocks of a few MiB: big enough that each system call streams (the kernel's
// read-ahead keeps the disk busy while forge checksums the block that just
// arrived), small enough that the block is still in the CPU cache when it is
// checksummed. Destination memory is left to the kernel's default page size:
// asking for transparent huge pages (MADV_HUGEPAGE) made cold loads of a
// GPT-2 124M checkpoint erratic on a Zen 5 VM (0.65 to 2.7 s, against a steady
// 0.65 s without; see bench/README.md, Checkpoints).
#include "io/hdf5_contiguous.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/crc32c.h"

namespace forge::h5 {
namespace {

constexpr size_t kBlockBytes = size_t(4) << 20;

// The file descriptor of an HDF5 file opened with the sec2 driver.
int file_descriptor(hid_t file_id, const std::string& file) {
  Handle fapl(H5Fget_access_plist(file_id), H5Pclose);
  void* handle = nullptr;
  FORGE_CHECK(fapl.get() >= 0 && H5Pget_driver(fapl) == H5FD_SEC2 &&
                  H5Fget_vfd_handle(file_id, H5P_DEFAULT, &handle) >= 0 && handle != nullptr,
              "cannot get the file descriptor of '" << file << "' (opened with a driver other than sec2?)");
  return *static_cast<int*>(handle);
}

haddr_t data_offset(hid_t ds, const std::string& name, const std::string& file) {
  const haddr_t addr = H5Dget_offset(ds);
  FORGE_CHECK(addr != HADDR_UNDEF, "dataset '" << name << "' of '" << file << "' has no contiguous storage ("
                                               << error_message() << ")");
  return addr;
}

}  // namespace

void write_contiguous(hid_t file_id, hid_t loc, const std::string& name, hid_t file_type, const void* data,
                      const std::vector<int64_t>& dims, const std::string& file) {
  FORGE_CHECK(!dims.empty(), "dataset '" << name << "' for '" << file << "' must have at least one dimension");
  std::vector<hsize_t> d(dims.begin(), dims.end());
  Handle space(H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  // Allocated now (so it has an offset) and never filled by HDF5: forge writes every byte.
  FORGE_CHECK(H5Pset_layout(dcpl, H5D_CONTIGUOUS) >= 0 && H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 &&
                  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0,
              "cannot set up dataset '" << name << "' in '" << file << "': " << error_message());
  Handle ds(H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  FORGE_CHECK(ds.get() >= 0, "cannot create dataset '" << name << "' in '" << file << "': " << error_message());
  size_t nbytes = H5Tget_size(file_type);
  for (hsize_t x : d) nbytes *= static_cast<size_t>(x);
  uint32_t crc = 0;
  if (nbytes > 0) {
    const int fd = file_descriptor(file_id, file);
    const haddr_t addr = data_offset(ds, name, file);
    const auto* src = static_cast<const unsigned char*>(data);
    for (size_t done = 0; done < nbytes;) {
      const size_t n = std::min(kBlockBytes, nbytes - done);
      crc = crc32c_update(src + done, n, crc);
      for (size_t off = 0; off < n;) {
        const ssize_t w = ::pwrite(fd, src + done + off, n - off, static_cast<off_t>(addr + done + off));
        if (w < 0 && errno == EINTR) continue;
        FORGE_CHECK(w > 0, "cannot write dataset '" << name << "' to '" << file
                                                    << "': " << (w < 0 ? std::strerror(errno) : "nothing written"));
        off += static_cast<size_t>(w);
      }
      done += n;
    }
  }
  Handle aspace(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(ds, kCrc32cAttribute, H5T_STD_U32LE, aspace, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  FORGE_CHECK(attr.get() >= 0 && H5Awrite(attr, H5T_NATIVE_UINT32, &crc) >= 0,
              "cannot write the checksum of dataset '" << name << "' to '" << file << "': " << error_message());
}

bool is_checked_contiguous(hid_t ds, hid_t mem_type) {
  Handle type(H5Dget_type(ds), H5Tclose);
  Handle dcpl(H5Dget_create_plist(ds), H5Pclose);
  return H5Tequal(type, mem_type) > 0 && H5Pget_layout(dcpl) == H5D_CONTIGUOUS && H5Pget_nfilters(dcpl) == 0 &&
         H5Aexists(ds, kCrc32cAttribute) > 0;
}

ContiguousRead locate_contiguous(hid_t ds, const std::string& name, void* out, size_t nbytes,
                                 const std::string& file) {
  ContiguousRead job;
  job.name = name;
  job.out = out;
  job.nbytes = nbytes;
  Handle attr(H5Aopen(ds, kCrc32cAttribute, H5P_DEFAULT), H5Aclose);
  FORGE_CHECK(attr.get() >= 0 && H5Aread(attr, H5T_NATIVE_UINT32, &job.crc32c) >= 0,
              "cannot read the checksum of dataset '" << name << "' of '" << file << "': " << error_message());
  if (nbytes > 0) job.offset = data_offset(ds, name, file);
  return job;
}

namespace {

// pread + CRC-32C of one job; no HDF5 call, so it may run on any thread.
void read_one(int fd, const ContiguousRead& job, const std::string& file) {
  uint32_t crc = 0;
  auto* dst = static_cast<unsigned char*>(job.out);
  for (size_t done = 0; done < job.nbytes;) {
    const size_t n = std::min(kBlockBytes, job.nbytes - done);
    for (size_t off = 0; off < n;) {
      const ssize_t r = ::pread(fd, dst + done + off, n - off, static_cast<off_t>(job.offset + done + off));
      if (r < 0 && errno == EINTR) continue;
      FORGE_CHECK(r > 0, "cannot read dataset '" << job.name << "' from '" << file << "': "
                                                 << (r < 0 ? std::strerror(errno) : "the file is truncated"));
      off += static_cast<size_t>(r);
    }
    crc = crc32c_update(dst + done, n, crc);
    done += n;
  }
  FORGE_CHECK(crc == job.crc32c, "checksum mismatch in dataset '" << job.name << "' of '" << file
                                                                  << "': the file is corrupt (CRC-32C of the data 0x"
                                                                  << std::hex << crc << ", stored 0x" << job.crc32c
                                                                  << ")");
}

}  // namespace

void read_contiguous_all(hid_t file_id, const std::vector<ContiguousRead>& jobs, const std::string& file) {
  if (jobs.empty()) return;
  const int fd = file_descriptor(file_id, file);
  std::vector<std::string> errors(jobs.size());
  const int64_t n = static_cast<int64_t>(jobs.size());
  // Jobs in file order, handed out one at a time: the threads read neighbouring
  // parts of the file (the kernel's read-ahead still sees one forward stream)
  // while one copies, faults in fresh memory or checksums and another waits.
#pragma omp parallel for schedule(dynamic, 1) if (n > 1)
  for (int64_t i = 0; i < n; ++i) {
    try {
      read_one(fd, jobs[static_cast<size_t>(i)], file);
    } catch (const std::exception& e) {
      errors[static_cast<size_t>(i)] = e.what();
    }
  }
  for (const std::string& e : errors) FORGE_CHECK(e.empty(), e);
}

void read_contiguous(hid_t file_id, hid_t ds, const std::string& name, void* out, size_t nbytes,
                     const std::string& file) {
  read_contiguous_all(file_id, {locate_contiguous(ds, name, out, nbytes, file)}, file);
}

}  // namespace forge::h5
