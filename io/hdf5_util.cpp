// HDF5 helpers (see hdf5_util.h).
#include "io/hdf5_util.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <initializer_list>

#include "io/fletcher32.h"

namespace forge::h5 {

void quiet_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

namespace {
// HDF5 1.10 crashes in its exit-time cleanup when closing a file failed earlier
// (a write hit a full disk or a file-size limit: the close fails half-way and
// leaves a dangling id). forge closes every file it opens itself (Handle), so
// HDF5's atexit cleanup has nothing to do and is turned off; this must run
// before the library initialises, hence a static initialiser.
const bool kNoAtexitCleanup = H5dont_atexit() >= 0;
}  // namespace

namespace {
struct ErrorWalk {
  std::string innermost, system;
};

herr_t collect_error(unsigned n, const H5E_error2_t* e, void* data) {
  auto* w = static_cast<ErrorWalk*>(data);
  const std::string desc = e->desc ? e->desc : "";
  if (n == 0) w->innermost = desc;
  // The sec2 driver reports failed system calls as "..., errno = 28, error message = '...', ...".
  const std::string key = "error message = '";
  const size_t at = desc.find(key);
  if (w->system.empty() && at != std::string::npos) {
    const size_t end = desc.find('\'', at + key.size());
    w->system = desc.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
  }
  return 0;
}
}  // namespace

std::string error_message() {
  ErrorWalk w;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &w);
  return w.system.empty() ? w.innermost : w.system;
}

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
  FORGE_CHECK(f >= 0, "cannot open HDF5 file '" << path << "': it is truncated or corrupt (" << error_message() << ")");
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

namespace {

// Staging pieces: a multiple of Fletcher-32's block, small enough to stay in L2.
constexpr size_t kPieceBytes = Fletcher32::kBlockBytes * 90;

unsigned char* staging_for(std::vector<unsigned char>* staging, std::vector<unsigned char>& local, size_t n) {
  std::vector<unsigned char>& buf = staging ? *staging : local;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// Verifies buf's trailing Fletcher-32 while copying its first `valid` bytes to dst: one pass.
bool check_chunk(const unsigned char* buf, unsigned char* dst, size_t valid, size_t chunk_bytes) {
  Fletcher32 sum;
  for (size_t a = 0; a < chunk_bytes; a += kPieceBytes) {
    const size_t b = std::min(chunk_bytes, a + kPieceBytes);
    sum.update(buf + a, b - a);
    const size_t copy_end = std::clamp(valid, a, b);
    if (copy_end > a) std::memcpy(dst + a, buf + a, copy_end - a);
  }
  return sum.value() == Fletcher32::load(buf + chunk_bytes);
}

}  // namespace

std::vector<int64_t> dataset_shape(hid_t loc, const std::string& name, const std::string& file) {
  FORGE_CHECK(exists(loc, name), "'" << file << "' has no dataset '" << name << "'");
  Handle ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
  FORGE_CHECK(ds.get() >= 0, "cannot open dataset '" << name << "' in '" << file << "': " << error_message());
  Handle space(H5Dget_space(ds), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  FORGE_CHECK(rank >= 0, "cannot read the shape of dataset '" << name << "' in '" << file << "': " << error_message());
  std::vector<hsize_t> d(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return std::vector<int64_t>(d.begin(), d.end());
}

namespace {

// The chunk rows when `ds` is stored the way format-1 checkpoints stored tensors
// (chunks of whole rows, Fletcher-32 the only filter, file type == mem_type); 0 otherwise.
hsize_t direct_chunk_rows(hid_t ds, hid_t mem_type, const std::vector<hsize_t>& d) {
  Handle type(H5Dget_type(ds), H5Tclose);
  Handle plist(H5Dget_create_plist(ds), H5Pclose);
  if (H5Tequal(type, mem_type) <= 0 || H5Pget_layout(plist) != H5D_CHUNKED || H5Pget_nfilters(plist) != 1) return 0;
  unsigned flags = 0, config = 0;
  size_t nvalues = 0;
  if (H5Pget_filter2(plist, 0, &flags, &nvalues, nullptr, 0, nullptr, &config) != H5Z_FILTER_FLETCHER32) return 0;
  std::vector<hsize_t> chunk(d.size());
  if (H5Pget_chunk(plist, static_cast<int>(chunk.size()), chunk.data()) != static_cast<int>(d.size())) return 0;
  for (size_t i = 1; i < d.size(); ++i)
    if (chunk[i] != d[i]) return 0;
  return chunk[0];
}

}  // namespace

void read_nd(hid_t loc, const std::string& name, hid_t mem_type, void* out, const std::string& file,
             std::vector<unsigned char>* staging) {
  FORGE_CHECK(exists(loc, name), "'" << file << "' has no dataset '" << name << "'");
  Handle ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
  FORGE_CHECK(ds.get() >= 0, "cannot open dataset '" << name << "' in '" << file << "': " << error_message());
  Handle space(H5Dget_space(ds), H5Sclose);
  std::vector<hsize_t> d(static_cast<size_t>(std::max(0, H5Sget_simple_extent_ndims(space))));
  H5Sget_simple_extent_dims(space, d.data(), nullptr);
  hsize_t total = 1;
  for (hsize_t x : d) total *= x;
  const hsize_t chunk_rows = d.empty() || total == 0 ? 0 : direct_chunk_rows(ds, mem_type, d);
  if (chunk_rows == 0) {  // not stored the way forge writes: HDF5 reads (and verifies) it
    if (H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
      const std::string why = error_message();
      FORGE_CHECK(why.find("Fletcher32") == std::string::npos && why.find("checksum") == std::string::npos,
                  "checksum mismatch in dataset '" << name << "' of '" << file << "': the file is corrupt (" << why << ")");
      FORGE_THROW("cannot read dataset '" << name << "' from '" << file << "': " << why);
    }
    return;
  }
  // Direct chunk reads, each verified against its Fletcher-32 while copied out.
  const size_t row_bytes = static_cast<size_t>(total / d[0]) * H5Tget_size(mem_type);
  const size_t chunk_nbytes = static_cast<size_t>(chunk_rows) * row_bytes;
  std::vector<unsigned char> local;
  unsigned char* buf = staging_for(staging, local, chunk_nbytes + 4);
  auto* dst = static_cast<unsigned char*>(out);
  std::vector<hsize_t> offset(d.size(), 0);
  for (hsize_t r0 = 0; r0 < d[0]; r0 += chunk_rows) {
    offset[0] = r0;
    hsize_t stored = 0;
    uint32_t filters = 0;
    FORGE_CHECK(H5Dget_chunk_storage_size(ds, offset.data(), &stored) >= 0 && stored == chunk_nbytes + 4,
                "dataset '" << name << "' of '" << file << "' is corrupt: its chunk at row " << r0 << " holds " << stored
                            << " bytes, expected " << chunk_nbytes + 4);
    FORGE_CHECK(H5Dread_chunk(ds, H5P_DEFAULT, offset.data(), &filters, buf) >= 0 && filters == 0,
                "cannot read dataset '" << name << "' from '" << file << "': " << error_message());
    const size_t rows = static_cast<size_t>(std::min(chunk_rows, d[0] - r0));
    FORGE_CHECK(check_chunk(buf, dst + r0 * row_bytes, rows * row_bytes, chunk_nbytes),
                "checksum mismatch in dataset '" << name << "' of '" << file << "' (rows " << r0 << " to " << r0 + rows
                                                 << "): the file is corrupt");
  }
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
              "cannot read dataset '" << name << "' from '" << file << "': checksum mismatch or corrupt file ("
                                        << error_message() << ")");
}

namespace {
void write_scalar_attr(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type, const void* value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  FORGE_CHECK(attr.get() >= 0 && H5Awrite(attr, mem_type, value) >= 0,
              "cannot write HDF5 attribute '" << name << "': " << error_message());
}

// "/config", "/" ...: the object an attribute sits on, for messages.
std::string object_name(hid_t loc) {
  const ssize_t n = H5Iget_name(loc, nullptr, 0);
  if (n <= 0) return "?";
  std::string name(static_cast<size_t>(n) + 1, '\0');
  H5Iget_name(loc, name.data(), name.size());
  name.resize(static_cast<size_t>(n));
  return name;
}

const char* class_text(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a floating-point number";
    case H5T_STRING: return "a string";
    case H5T_COMPOUND: return "a compound";
    case H5T_ARRAY: return "an array";
    case H5T_ENUM: return "an enum";
    default: return "a non-scalar HDF5 type";
  }
}

// Opens attribute `name` of `loc` and checks it holds one value of one of the
// `allowed` type classes; each failure names the attribute, the object, the
// file and what was wrong (absent, unreadable, an array, another type).
Handle open_attr(hid_t loc, const std::string& name, const std::string& file, std::initializer_list<H5T_class_t> allowed,
                 const char* expected) {
  const std::string where = "attribute '" + name + "' of " + object_name(loc) + " in '" + file + "'";
  const htri_t exists = H5Aexists(loc, name.c_str());
  FORGE_CHECK(exists >= 0, "cannot look up " << where << ": " << error_message());
  FORGE_CHECK(exists > 0, "'" << file << "' has no attribute '" << name << "' on " << object_name(loc));
  Handle attr(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose);
  FORGE_CHECK(attr.get() >= 0, "cannot open " << where << ": " << error_message());
  Handle space(H5Aget_space(attr), H5Sclose);
  const hssize_t points = space.get() >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  FORGE_CHECK(points == 1, where << " holds " << points << " values, expected one");
  Handle type(H5Aget_type(attr), H5Tclose);
  const H5T_class_t cls = type.get() >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  FORGE_CHECK(std::find(allowed.begin(), allowed.end(), cls) != allowed.end(),
              where << " is " << class_text(cls) << ", expected " << expected);
  return attr;
}

void read_scalar_attr(hid_t loc, const std::string& name, hid_t mem_type, void* value, const std::string& file,
                      std::initializer_list<H5T_class_t> allowed, const char* expected) {
  Handle attr = open_attr(loc, name, file, allowed, expected);
  FORGE_CHECK(H5Aread(attr, mem_type, value) >= 0,
              "cannot read attribute '" << name << "' of " << object_name(loc) << " in '" << file << "' as "
                                        << expected << ": " << error_message());
}
}  // namespace

void write_attr_int(hid_t loc, const std::string& name, int64_t value) {
  write_scalar_attr(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void write_attr_uint64(hid_t loc, const std::string& name, uint64_t value) {
  write_scalar_attr(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}

void write_attr_double(hid_t loc, const std::string& name, double value) {
  write_scalar_attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void write_attr_string(hid_t loc, const std::string& name, const std::string& value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, std::max<size_t>(1, value.size()));
  Handle attr(H5Acreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  FORGE_CHECK(attr.get() >= 0 && H5Awrite(attr, type, padded.data()) >= 0,
              "cannot write HDF5 attribute '" << name << "': " << error_message());
}

int64_t read_attr_int(hid_t loc, const std::string& name, const std::string& file) {
  int64_t v = 0;
  read_scalar_attr(loc, name, H5T_NATIVE_INT64, &v, file, {H5T_INTEGER}, "an integer");
  return v;
}

uint64_t read_attr_uint64(hid_t loc, const std::string& name, const std::string& file) {
  uint64_t v = 0;
  read_scalar_attr(loc, name, H5T_NATIVE_UINT64, &v, file, {H5T_INTEGER}, "an integer");
  return v;
}

double read_attr_double(hid_t loc, const std::string& name, const std::string& file) {
  double v = 0;
  read_scalar_attr(loc, name, H5T_NATIVE_DOUBLE, &v, file, {H5T_FLOAT, H5T_INTEGER}, "a number");
  return v;
}

std::string read_attr_string(hid_t loc, const std::string& name, const std::string& file) {
  Handle attr = open_attr(loc, name, file, {H5T_STRING}, "a string");
  Handle type(H5Aget_type(attr), H5Tclose);
  // The memory type keeps the file's character set (HDF5 does not convert
  // between ASCII and UTF-8) and is NULLPAD, so a fixed-length string that
  // fills its size (h5py's NULLPAD bytes, or forge's own) keeps its last byte.
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(mem, H5Tget_cset(type));
  std::string s;
  bool ok = false;
  if (H5Tis_variable_str(type) > 0) {  // h5py's default for str attributes
    H5Tset_size(mem, H5T_VARIABLE);
    char* p = nullptr;
    ok = H5Aread(attr, mem, &p) >= 0;
    if (p) s = p;
    H5free_memory(p);
  } else {
    const size_t size = H5Tget_size(type);
    s.assign(size, '\0');
    H5Tset_size(mem, std::max<size_t>(1, size));
    H5Tset_strpad(mem, H5T_STR_NULLPAD);
    ok = size == 0 || H5Aread(attr, mem, s.data()) >= 0;
  }
  FORGE_CHECK(ok, "cannot read attribute '" << name << "' of " << object_name(loc) << " in '" << file
                                            << "' as a string: " << error_message());
  const size_t nul = s.find('\0');
  if (nul != std::string::npos) s.resize(nul);
  return s;
}

}  // namespace forge::h5
