// HDF5 helpers (see hdf5_util.h).
#include "data/hdf5_util.h"

#include <filesystem>

namespace forge::h5 {

void quiet_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

Handle create_file(const std::string& path) {
  quiet_errors();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  FORGE_CHECK(f >= 0, "cannot create HDF5 file '" << path << "' (is the directory writable?)");
  return Handle(f, H5Fclose);
}

Handle open_file_readonly(const std::string& path) {
  quiet_errors();
  FORGE_CHECK(std::filesystem::exists(path), "file not found: '" << path << "'");
  FORGE_CHECK(H5Fis_hdf5(path.c_str()) > 0, "'" << path << "' is not an HDF5 file (or is truncated or corrupt)");
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  FORGE_CHECK(f >= 0, "cannot open HDF5 file '" << path << "' (truncated or corrupt?)");
  return Handle(f, H5Fclose);
}

bool exists(hid_t loc, const std::string& name) { return H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0; }

void write_1d(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type, const void* data, size_t n,
              const std::string& file) {
  hsize_t dims[1] = {static_cast<hsize_t>(n)};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  // Chunked with a Fletcher-32 checksum so corruption is detected on read.
  Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (n > 0) {
    hsize_t chunk[1] = {std::min<hsize_t>(dims[0], 1 << 20)};
    H5Pset_chunk(plist, 1, chunk);
    H5Pset_fletcher32(plist);
  }
  Handle ds(H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, plist, H5P_DEFAULT), H5Dclose);
  FORGE_CHECK(ds.get() >= 0, "cannot create dataset '" << name << "' in '" << file << "'");
  if (n > 0)
    FORGE_CHECK(H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0,
                "cannot write dataset '" << name << "' to '" << file << "' (disk full?)");
}

size_t dataset_length(hid_t loc, const std::string& name, const std::string& file) {
  FORGE_CHECK(exists(loc, name), "'" << file << "' has no dataset '" << name << "'");
  Handle ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
  Handle space(H5Dget_space(ds), H5Sclose);
  FORGE_CHECK(H5Sget_simple_extent_ndims(space) == 1, "dataset '" << name << "' in '" << file << "' is not 1-d");
  hsize_t dims[1];
  H5Sget_simple_extent_dims(space, dims, nullptr);
  return static_cast<size_t>(dims[0]);
}

void read_1d(hid_t loc, const std::string& name, hid_t mem_type, void* out, const std::string& file) {
  FORGE_CHECK(exists(loc, name), "'" << file << "' has no dataset '" << name << "'");
  Handle ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
  FORGE_CHECK(H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0,
              "cannot read dataset '" << name << "' from '" << file << "': checksum mismatch or corrupt file");
}

void write_attr_int(hid_t loc, const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(loc, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5Awrite(attr, H5T_NATIVE_INT64, &value);
}

void write_attr_string(hid_t loc, const std::string& name, const std::string& value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, std::max<size_t>(1, value.size()));
  Handle attr(H5Acreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  H5Awrite(attr, type, padded.data());
}

int64_t read_attr_int(hid_t loc, const std::string& name, const std::string& file) {
  FORGE_CHECK(H5Aexists(loc, name.c_str()) > 0, "'" << file << "' has no attribute '" << name << "'");
  Handle attr(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose);
  int64_t v = 0;
  FORGE_CHECK(H5Aread(attr, H5T_NATIVE_INT64, &v) >= 0, "cannot read attribute '" << name << "' of '" << file << "'");
  return v;
}

std::string read_attr_string(hid_t loc, const std::string& name, const std::string& file) {
  FORGE_CHECK(H5Aexists(loc, name.c_str()) > 0, "'" << file << "' has no attribute '" << name << "'");
  Handle attr(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attr), H5Tclose);
  const size_t size = H5Tget_size(type);
  std::string s(size, '\0');
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem, size);
  FORGE_CHECK(H5Aread(attr, mem, s.data()) >= 0, "cannot read attribute '" << name << "' of '" << file << "'");
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

}  // namespace forge::h5
