// Checkpoint files (see checkpoint.h): the HDF5 layout, the crash-safe write
// (tmp file, flush, fsync, rename, fsync of the directory), the verified read,
// and the run directory's `latest` pointer and pruning.
//
// Speed: format version 2 stores each tensor as a contiguous dataset with a
// CRC-32C attribute (io/hdf5_contiguous.h): it is written with pwrite
// straight from the tensor's storage and read with pread straight into a
// freshly allocated tensor, each block checksummed while in cache, so the disk
// dominates (bench/bench_checkpoint.cpp measures this against `dd`). Version 1
// files (chunked, Fletcher-32 per chunk) are still read, through h5::read_nd.
#include "checkpoint/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <type_traits>
#include <variant>

#include "io/hdf5_contiguous.h"
#include "io/hdf5_util.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "forge-checkpoint";
// 1: every tensor chunked with HDF5's Fletcher-32 filter; 2: every tensor
// contiguous with a `crc32c` attribute.
constexpr int64_t kFormatVersion = 2;
constexpr size_t kWritebackBytes = size_t(1) << 20;

std::string errno_text() { return std::strerror(errno); }

// fsync of a file or directory by path (a directory's fsync makes a rename in it durable).
void sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  FORGE_CHECK(fd >= 0, "cannot open '" << path << "' to flush it to disk: " << errno_text());
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  FORGE_CHECK(rc == 0, "cannot flush '" << path << "' to disk: " << std::strerror(err));
}

std::string parent_dir(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

h5::Handle create_group(hid_t loc, const std::string& name, const std::string& file) {
  // Creation order is tracked so readers list parameters in model order.
  h5::Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
  H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  h5::Handle g(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose);
  FORGE_CHECK(g.get() >= 0, "cannot create group '" << name << "' in '" << file << "': " << h5::error_message());
  return g;
}

h5::Handle open_group(hid_t loc, const std::string& name, const std::string& file) {
  FORGE_CHECK(h5::exists(loc, name), "'" << file << "' has no group '" << name << "' (not a complete forge checkpoint)");
  h5::Handle g(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), H5Gclose);
  FORGE_CHECK(g.get() >= 0, "cannot open group '" << name << "' in '" << file << "': " << h5::error_message());
  return g;
}

// The names of a group's members, in creation order when the file tracks it
// (forge's files do), else alphabetically (e.g. files written by other tools).
std::vector<std::string> member_names(hid_t loc, const std::string& group, const std::string& file) {
  h5::Handle g = open_group(loc, group, file);
  H5G_info_t info;
  FORGE_CHECK(H5Gget_info(g, &info) >= 0, "cannot list group '" << group << "' in '" << file << "': " << h5::error_message());
  H5_index_t index = H5_INDEX_CRT_ORDER;
  if (info.nlinks > 0 && H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, 0, nullptr, 0, H5P_DEFAULT) < 0)
    index = H5_INDEX_NAME;
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    FORGE_CHECK(n >= 0, "cannot list group '" << group << "' in '" << file << "': " << h5::error_message());
    std::string name(static_cast<size_t>(n) + 1, '\0');
    H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<size_t>(n));
    names.push_back(std::move(name));
  }
  return names;
}

// Starts the kernel writing the file's dirty pages back now (asynchronously), so
// the disk works while later tensors are still being prepared and the final
// fsync has little left to do.
void start_writeback(hid_t file_id) {
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file_id, H5P_DEFAULT, &handle) >= 0 && handle != nullptr)
    ::sync_file_range(*static_cast<int*>(handle), 0, 0, SYNC_FILE_RANGE_WRITE);
}

void write_tensor(hid_t file_id, const std::string& path, const Tensor& t, const std::string& file) {
  FORGE_CHECK(t.dtype() == DType::f32 && t.device().is_cpu(),
              "checkpoint tensor '" << path << "' must be a CPU f32 tensor, got " << t.str());
  const Tensor c = t.is_contiguous() ? t : t.detach().contiguous();
  h5::write_contiguous(file_id, file_id, path, H5T_IEEE_F32LE, c.data_ptr(), c.shape(), file);
  if (t.nbytes() >= kWritebackBytes) start_writeback(file_id);
}

// Reads a float dataset into a new f32 tensor, verifying its checksum: a
// version-2 dataset (contiguous + CRC-32C) with pread, a version-1 one (chunked
// + Fletcher-32) through h5::read_nd. A dataset with neither checksum is an error.
// With `deferred`, a version-2 dataset is only located: its read is appended
// there for h5::read_contiguous_all, and the returned tensor is filled then.
Tensor read_tensor(hid_t file_id, const std::string& path, const std::string& file, std::vector<unsigned char>& staging,
                   std::vector<h5::ContiguousRead>* deferred = nullptr) {
  const Shape shape = h5::dataset_shape(file_id, path, file);
  h5::Handle ds(H5Dopen2(file_id, path.c_str(), H5P_DEFAULT), H5Dclose);
  FORGE_CHECK(ds.get() >= 0, "cannot open dataset '" << path << "' in '" << file << "': " << h5::error_message());
  {
    h5::Handle type(H5Dget_type(ds), H5Tclose);
    FORGE_CHECK(H5Tget_class(type) == H5T_FLOAT, "dataset '" << path << "' in '" << file << "' is not floating point");
  }
  Tensor t = Tensor::empty(shape, DType::f32);
  if (h5::is_checked_contiguous(ds, H5T_NATIVE_FLOAT)) {
    if (deferred) deferred->push_back(h5::locate_contiguous(ds, path, t.data_ptr(), t.nbytes(), file));
    else h5::read_contiguous(file_id, ds, path, t.data_ptr(), t.nbytes(), file);
    return t;
  }
  h5::Handle dcpl(H5Dget_create_plist(ds), H5Pclose);
  unsigned flags = 0;
  size_t nvalues = 0;
  unsigned config = 0;
  FORGE_CHECK(H5Pget_filter_by_id2(dcpl, H5Z_FILTER_FLETCHER32, &flags, &nvalues, nullptr, 0, nullptr, &config) >= 0,
              "dataset '" << path << "' in '" << file << "' carries no checksum (neither a `" << h5::kCrc32cAttribute
                          << "` attribute on contiguous float32 data nor HDF5's Fletcher-32 filter), so it cannot be verified");
  if (t.numel() > 0) h5::read_nd(file_id, path, H5T_NATIVE_FLOAT, t.data_ptr(), file, &staging);
  return t;
}

// /config: the family, then one attribute per row of nn's model field table
// (resolved: n_kv_head and ffn_hidden spelled out), then the recipe text.
void write_config(hid_t g, const nn::ModelConfig& config, const std::string& recipe_yaml) {
  const nn::ModelConfig m = config.resolved();
  h5::write_attr_string(g, "family", nn::family_name(m.family));
  for (const nn::ModelField& f : nn::model_fields()) {
    std::visit(
        [&](auto member) {
          using T = std::decay_t<decltype(m.*member)>;
          if constexpr (std::is_same_v<T, double>) h5::write_attr_double(g, f.name, m.*member);
          else h5::write_attr_int(g, f.name, static_cast<int64_t>(m.*member));  // integers; bools as 0 / 1
        },
        f.member);
  }
  h5::write_attr_string(g, "recipe", recipe_yaml);
}

// A field missing from the file (written before the field existed) keeps ModelConfig's default.
nn::ModelConfig read_config(hid_t g, const std::string& file, std::string& recipe_yaml) {
  nn::ModelConfig m;
  m.family = nn::family_from_name(h5::read_attr_string(g, "family", file));
  for (const nn::ModelField& f : nn::model_fields()) {
    if (H5Aexists(g, f.name.c_str()) <= 0) continue;
    std::visit(
        [&](auto member) {
          using T = std::decay_t<decltype(m.*member)>;
          if constexpr (std::is_same_v<T, double>) m.*member = h5::read_attr_double(g, f.name, file);
          else if constexpr (std::is_same_v<T, bool>) m.*member = h5::read_attr_int(g, f.name, file) != 0;
          else m.*member = h5::read_attr_int(g, f.name, file);
        },
        f.member);
  }
  recipe_yaml = h5::read_attr_string(g, "recipe", file);
  try {
    m.validate();
  } catch (const Error& e) {
    FORGE_THROW("'" << file << "' holds an invalid model config: " << e.what());
  }
  return m;
}

void write_state(hid_t g, const TrainingState& s, const std::string& file) {
  h5::write_attr_int(g, "step", s.step);
  h5::write_attr_int(g, "tokens_seen", s.tokens_seen);
  h5::write_attr_uint64(g, "dropout_seed", s.dropout_seed);
  h5::write_attr_uint64(g, "dropout_offset", s.dropout_offset);
  h5::write_attr_int(g, "loader_step", s.loader_step);
  h5::write_attr_int(g, "loss_scaling", s.loss_scaling ? 1 : 0);
  h5::write_attr_double(g, "loss_scale", s.loss_scale);
  h5::write_attr_int(g, "loss_scale_good_steps", s.loss_scale_good_steps);
  h5::write_attr_int(g, "skipped_steps", s.skipped_steps);
  h5::write_attr_int(g, "dp", s.dp);
  h5::write_attr_int(g, "tp", s.tp);
  h5::write_attr_int(g, "pp", s.pp);
  h5::write_attr_int(g, "bad_steps", s.bad_steps);
  if (!s.recent_losses.empty())
    h5::write_1d(g, "recent_losses", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, s.recent_losses.data(), s.recent_losses.size(), file);
}

TrainingState read_state(hid_t g, const std::string& file) {
  TrainingState s;
  s.step = h5::read_attr_int(g, "step", file);
  s.tokens_seen = h5::read_attr_int(g, "tokens_seen", file);
  s.dropout_seed = h5::read_attr_uint64(g, "dropout_seed", file);
  s.dropout_offset = h5::read_attr_uint64(g, "dropout_offset", file);
  s.loader_step = h5::read_attr_int(g, "loader_step", file);
  s.loss_scale = h5::read_attr_double(g, "loss_scale", file);
  s.loss_scale_good_steps = h5::read_attr_int(g, "loss_scale_good_steps", file);
  // Checkpoints written before mixed precision lack these two: no scaling, nothing skipped.
  s.loss_scaling = H5Aexists(g, "loss_scaling") > 0 && h5::read_attr_int(g, "loss_scaling", file) != 0;
  s.skipped_steps = H5Aexists(g, "skipped_steps") > 0 ? h5::read_attr_int(g, "skipped_steps", file) : 0;
  s.dp = static_cast<int>(h5::read_attr_int(g, "dp", file));
  s.tp = static_cast<int>(h5::read_attr_int(g, "tp", file));
  s.pp = static_cast<int>(h5::read_attr_int(g, "pp", file));
  // Counts a run could not have written: every reader (resume, sample, eval,
  // inspect) refuses them rather than resume at a negative step.
  auto check_count = [&](const char* key, int64_t v) {
    FORGE_CHECK(v >= 0, "'" << file << "' holds an impossible /state attribute " << key << " = " << v << " (must be >= 0)");
  };
  check_count("step", s.step);
  check_count("tokens_seen", s.tokens_seen);
  check_count("loader_step", s.loader_step);
  check_count("loss_scale_good_steps", s.loss_scale_good_steps);
  check_count("skipped_steps", s.skipped_steps);
  for (const auto& [key, v] : {std::pair{"dp", s.dp}, std::pair{"tp", s.tp}, std::pair{"pp", s.pp}})
    FORGE_CHECK(v >= 1 && v == h5::read_attr_int(g, key, file),
                "'" << file << "' holds an impossible /state attribute " << key << " = " << h5::read_attr_int(g, key, file)
                    << " (a layout size must be >= 1)");
  FORGE_CHECK(std::isfinite(s.loss_scale) && s.loss_scale > 0,
              "'" << file << "' holds an impossible /state attribute loss_scale = " << s.loss_scale << " (must be > 0)");
  // Divergence guard fields: files written before it have none.
  if (H5Aexists(g, "bad_steps") > 0) s.bad_steps = h5::read_attr_int(g, "bad_steps", file);
  check_count("bad_steps", s.bad_steps);
  if (h5::exists(g, "recent_losses")) {
    const size_t n = h5::dataset_length(g, "recent_losses", file);
    FORGE_CHECK(n <= (size_t(1) << 24), "'" << file << "' holds a /state/recent_losses of " << n
                                            << " values (a run keeps at most train.spike_window)");
    s.recent_losses.resize(n);
    h5::read_1d(g, "recent_losses", H5T_NATIVE_DOUBLE, s.recent_losses.data(), file);
  }
  return s;
}

// Writes every group and dataset of `c` into a new HDF5 file at `path`, then flushes and closes it.
void write_file(const std::string& path, const CheckpointContents& c) {
  h5::quiet_errors();
  // Format of HDF5 1.8+: object headers and superblock carry their own checksums,
  // so corruption of the metadata is detected too, not only of the data.
  h5::Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
  h5::Handle f(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose);
  FORGE_CHECK(f.get() >= 0, "cannot create '" << path << "': " << h5::error_message());
  h5::write_attr_string(f, "format", kFormat);
  h5::write_attr_int(f, "format_version", kFormatVersion);
  write_config(create_group(f, "config", path), c.model_config, c.recipe_yaml);
  create_group(f, "model", path);
  for (const auto& [name, t] : c.model) write_tensor(f, "/model/" + name, t, path);
  if (!c.optimizer_name.empty()) {
    h5::Handle g = create_group(f, "optim", path);
    h5::write_attr_string(g, "name", c.optimizer_name);
    h5::write_attr_int(g, "step_count", c.optimizer_step_count);
    h5::write_attr_double(g, "lr", c.optimizer_lr);
    for (const auto& [key, t] : c.optimizer_state) {
      const size_t slash = key.rfind('/');
      FORGE_CHECK(slash != std::string::npos && slash > 0 && slash + 1 < key.size(),
                  "optimizer state key '" << key << "' is not '<param>/<state>'");
      const std::string param = key.substr(0, slash);
      if (!h5::exists(g, param)) create_group(g, param, path);
      write_tensor(f, "/optim/" + key, t, path);
    }
  }
  write_state(create_group(f, "state", path), c.state, path);
  FORGE_CHECK(H5Fflush(f, H5F_SCOPE_GLOBAL) >= 0, "cannot flush '" << path << "': " << h5::error_message());
  FORGE_CHECK(H5Fclose(f.release()) >= 0, "cannot close '" << path << "': " << h5::error_message());
}

// Opens a checkpoint and checks it is one forge can read. The kernel is told
// the whole file will be read soon, so it reads ahead while forge verifies and
// copies out what has arrived.
h5::Handle open_checkpoint(const std::string& path) {
  h5::Handle f = h5::open_file_readonly(path);
  void* handle = nullptr;
  if (H5Fget_vfd_handle(f, H5P_DEFAULT, &handle) >= 0 && handle != nullptr) {
    ::posix_fadvise(*static_cast<int*>(handle), 0, 0, POSIX_FADV_SEQUENTIAL);
    ::posix_fadvise(*static_cast<int*>(handle), 0, 0, POSIX_FADV_WILLNEED);
  }
  FORGE_CHECK(H5Aexists(f, "format") > 0 && h5::read_attr_string(f, "format", path) == kFormat,
              "'" << path << "' is an HDF5 file but not a forge checkpoint (no format=\"" << kFormat
                  << "\" attribute; token shards and other HDF5 files cannot be loaded as checkpoints)");
  const int64_t version = h5::read_attr_int(f, "format_version", path);
  FORGE_CHECK(version >= 1 && version <= kFormatVersion,
              "'" << path << "' has checkpoint format version " << version << "; this forge reads versions 1 to "
                  << kFormatVersion << " (written by a newer forge?)");
  return f;
}

// Everything but the tensors.
struct Metadata {
  nn::ModelConfig model_config;
  std::string recipe_yaml;
  std::string optimizer_name;
  int64_t optimizer_step_count = 0;
  double optimizer_lr = 0.0;
  TrainingState state;
};

Metadata read_metadata(hid_t f, const std::string& path) {
  Metadata m;
  m.model_config = read_config(open_group(f, "config", path), path, m.recipe_yaml);
  m.state = read_state(open_group(f, "state", path), path);
  if (h5::exists(f, "optim")) {
    h5::Handle g = open_group(f, "optim", path);
    m.optimizer_name = h5::read_attr_string(g, "name", path);
    m.optimizer_step_count = h5::read_attr_int(g, "step_count", path);
    m.optimizer_lr = h5::read_attr_double(g, "lr", path);
    FORGE_CHECK(m.optimizer_step_count >= 0 && std::isfinite(m.optimizer_lr),
                "'" << path << "' holds impossible optimizer metadata (/optim step_count " << m.optimizer_step_count
                    << ", lr " << m.optimizer_lr << ")");
  }
  return m;
}

// "/optim/<param>/<state>" paths in file order.
std::vector<std::string> optimizer_paths(hid_t f, const std::string& path) {
  std::vector<std::string> out;
  if (!h5::exists(f, "optim")) return out;
  for (const std::string& param : member_names(f, "/optim", path))
    for (const std::string& state : member_names(f, "/optim/" + param, path)) out.push_back("/optim/" + param + "/" + state);
  return out;
}

// step_<N>.h5 -> N; -1 for any other name.
int64_t step_of_file_name(const std::string& name) {
  constexpr std::string_view prefix = "step_", suffix = ".h5";
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix)) return -1;
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return -1;
  return std::stoll(digits);
}

std::string checkpoints_dir(const std::string& run_dir) { return run_dir + "/checkpoints"; }

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointContents& contents) {
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  try {
    write_file(tmp, contents);
    sync_path(tmp, false);
    FORGE_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0,
                "cannot rename '" << tmp << "' to '" << path << "': " << errno_text());
    sync_path(parent_dir(path), true);
  } catch (const Error& e) {
    fs::remove(tmp, ec);
    FORGE_THROW("cannot save checkpoint '" << path << "': " << e.what()
                                           << " (any earlier checkpoint and `latest` are unchanged)");
  }
}

CheckpointContents load_checkpoint(const std::string& path, bool with_optimizer) {
  h5::Handle f = open_checkpoint(path);
  Metadata m = read_metadata(f, path);
  CheckpointContents c;
  c.model_config = m.model_config;
  c.recipe_yaml = std::move(m.recipe_yaml);
  c.state = m.state;
  std::vector<unsigned char> staging;
  std::vector<h5::ContiguousRead> reads;  // located first, then read in parallel
  for (const std::string& name : member_names(f, "/model", path))
    c.model.emplace_back(name, read_tensor(f, "/model/" + name, path, staging, &reads));
  if (with_optimizer) {
    c.optimizer_name = m.optimizer_name;
    c.optimizer_step_count = m.optimizer_step_count;
    c.optimizer_lr = m.optimizer_lr;
    for (const std::string& p : optimizer_paths(f, path))
      c.optimizer_state.emplace(p.substr(std::strlen("/optim/")), read_tensor(f, p, path, staging, &reads));
  }
  std::sort(reads.begin(), reads.end(), [](const h5::ContiguousRead& a, const h5::ContiguousRead& b) {
    return a.offset < b.offset;
  });
  h5::read_contiguous_all(f, reads, path);
  return c;
}

CheckpointReport verify_checkpoint(const std::string& path) {
  h5::Handle f = open_checkpoint(path);
  Metadata m = read_metadata(f, path);
  CheckpointReport r;
  r.model_config = m.model_config;
  r.recipe_yaml = std::move(m.recipe_yaml);
  r.optimizer_name = m.optimizer_name;
  r.optimizer_step_count = m.optimizer_step_count;
  r.state = m.state;
  std::vector<std::string> paths;
  for (const std::string& name : member_names(f, "/model", path)) paths.push_back("/model/" + name);
  const size_t num_model = paths.size();
  for (std::string& p : optimizer_paths(f, path)) paths.push_back(std::move(p));
  std::vector<unsigned char> staging;
  for (size_t i = 0; i < paths.size(); ++i) {
    DatasetStatus d;
    d.name = paths[i];
    try {
      d.shape = h5::dataset_shape(f, d.name, path);
      Tensor t = read_tensor(f, d.name, path, staging);
      if (i < num_model) r.num_parameters += t.numel();
    } catch (const Error& e) {
      d.error = e.what();
    }
    r.datasets.push_back(std::move(d));
  }
  return r;
}

std::vector<std::string> model_config_differences(const nn::ModelConfig& a, const nn::ModelConfig& b) {
  std::vector<std::string> out;
  if (a.family != b.family)
    out.push_back(std::string("model.family: ") + nn::family_name(a.family) + " vs " + nn::family_name(b.family));
  const nn::ModelConfig ra = a.resolved(), rb = b.resolved();
  for (const nn::ModelField& f : nn::model_fields()) {
    const bool differ = std::visit([&](auto member) { return ra.*member != rb.*member; }, f.member);
    if (differ) out.push_back("model." + f.name + ": " + nn::field_text(f, ra) + " vs " + nn::field_text(f, rb));
  }
  return out;
}

std::string checkpoint_path(const std::string& run_dir, int64_t step) {
  return checkpoints_dir(run_dir) + "/step_" + std::to_string(step) + ".h5";
}

void write_latest(const std::string& run_dir, int64_t step) {
  const std::string dir = checkpoints_dir(run_dir);
  const std::string path = dir + "/latest", tmp = path + ".tmp";
  const std::string text = "step_" + std::to_string(step) + ".h5\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  FORGE_CHECK(fd >= 0, "cannot create '" << tmp << "': " << errno_text());
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) ::unlink(tmp.c_str());
  FORGE_CHECK(ok, "cannot write '" << tmp << "': " << std::strerror(err) << " (`latest` is unchanged)");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    FORGE_THROW("cannot rename '" << tmp << "' to '" << path << "': " << why << " (`latest` is unchanged)");
  }
  sync_path(dir, true);
}

std::string latest_checkpoint(const std::string& run_dir) {
  const std::string path = checkpoints_dir(run_dir) + "/latest";
  if (!fs::exists(path)) return "";
  std::ifstream in(path);
  FORGE_CHECK(in.good(), "cannot read '" << path << "'");
  std::string name;
  std::getline(in, name);
  FORGE_CHECK(step_of_file_name(name) >= 0,
              "'" << path << "' should name a checkpoint file like step_100.h5, but holds '" << name << "'");
  const std::string ckpt = checkpoints_dir(run_dir) + "/" + name;
  FORGE_CHECK(fs::exists(ckpt), "'" << path << "' names '" << name << "', but '" << ckpt
                                    << "' does not exist (deleted?); set resume to an existing checkpoint's path instead");
  return ckpt;
}

std::vector<std::string> list_checkpoints(const std::string& run_dir) {
  const std::string dir = checkpoints_dir(run_dir);
  std::vector<std::pair<int64_t, std::string>> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  for (const auto& entry : fs::directory_iterator(dir)) {
    const int64_t step = step_of_file_name(entry.path().filename().string());
    if (step >= 0 && entry.is_regular_file()) files.emplace_back(step, entry.path().string());
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [step, path] : files) out.push_back(std::move(path));
  return out;
}

void prune_checkpoints(const std::string& run_dir, int keep_last) {
  const std::string dir = checkpoints_dir(run_dir);
  if (keep_last <= 0) return;
  const std::vector<std::string> files = list_checkpoints(run_dir);
  std::string latest;
  std::error_code ec;
  if (std::ifstream in(dir + "/latest"); in.good()) std::getline(in, latest);
  for (size_t i = static_cast<size_t>(keep_last); i < files.size(); ++i) {
    if (fs::path(files[i]).filename() == latest) continue;  // never delete what `latest` names
    if (!fs::remove(files[i], ec) && ec)
      std::fprintf(stderr, "warning: cannot delete old checkpoint '%s': %s\n", files[i].c_str(), ec.message().c_str());
  }
}

}  // namespace forge::recipes
