// libFuzzer target: the metadata a checkpoint reader trusts. A small valid
// checkpoint is written once; each input is decoded into edits of its HDF5
// attributes and datasets (delete, or replace with another type or value),
// applied to a fresh copy through the HDF5 API, and the copy is read with
// verify_checkpoint (what `forge inspect` reads) and load_checkpoint.
//
// The file's bytes are not mutated directly: libhdf5's own decoder of a
// corrupt file is not forge's code, and corrupt bytes are caught by the
// checksums (tested in tests/checkpoint). What forge's reader must survive is
// a well-formed HDF5 file whose contents lie.
#include <fuzzer/FuzzedDataProvider.h>

#include <filesystem>

#include "checkpoint/checkpoint.h"
#include "checkpoint/hf_model.h"
#include "io/hdf5_util.h"
#include "tests/fuzz/fuzz_util.h"

namespace {
namespace fs = std::filesystem;
using forge::h5::Handle;

const std::string& base_checkpoint() {
  static const std::string path = [] {
    forge::recipes::CheckpointContents c;
    c.model_config.n_layer = 1;
    c.model_config.n_head = 1;
    c.model_config.n_embd = 4;
    c.model_config.vocab_size = 8;
    c.model_config.block_size = 4;
    c.recipe_yaml = "run:\n  name: fuzz\n";
    for (const auto& [name, shape] : forge::recipes::model_parameter_shapes(c.model_config))
      c.model.emplace_back(name, forge::Tensor::full(shape, 0.5));
    c.optimizer_name = "adamw";
    c.optimizer_step_count = 3;
    c.optimizer_lr = 1e-3;
    c.optimizer_state.emplace(c.model[0].first + "/exp_avg", forge::Tensor::zeros(c.model[0].second.shape()));
    c.state.step = 3;
    const std::string p = (forge::fuzz::scratch_dir() / "base.h5").string();
    forge::recipes::save_checkpoint(p, c);
    return p;
  }();
  return path;
}

// Where edits may land: the groups and one tensor dataset.
const std::vector<std::string> kObjects = {"/", "/config", "/state", "/optim", "/model", "/model/transformer.wte.weight"};
const std::vector<std::string> kAttributes = {
    "format", "format_version", "family", "n_layer", "n_head", "n_kv_head", "n_embd", "vocab_size",
    "block_size", "ffn_hidden", "rope_theta", "norm_eps", "dropout", "tie_embeddings", "recipe", "step",
    "tokens_seen", "dropout_seed", "dropout_offset", "loader_step", "loss_scale", "loss_scale_good_steps",
    "loss_scaling", "skipped_steps", "dp", "tp", "pp", "name", "step_count", "lr", "crc32c"};

void write_attr(hid_t loc, const std::string& name, FuzzedDataProvider& in) {
  if (H5Aexists(loc, name.c_str()) > 0) H5Adelete(loc, name.c_str());
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: forge::h5::write_attr_int(loc, name, in.ConsumeIntegral<int64_t>()); break;
    case 1: forge::h5::write_attr_uint64(loc, name, in.ConsumeIntegral<uint64_t>()); break;
    case 2: forge::h5::write_attr_double(loc, name, in.ConsumeFloatingPoint<double>()); break;
    case 3: forge::h5::write_attr_string(loc, name, in.ConsumeRandomLengthString(64)); break;
    default: {  // a 1-d array attribute where a scalar is expected
      const hsize_t n = in.ConsumeIntegralInRange<hsize_t>(0, 3);
      Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
      Handle attr(H5Acreate2(loc, name.c_str(), H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
      const int32_t values[3] = {1, 2, 3};
      if (attr.get() >= 0) H5Awrite(attr, H5T_NATIVE_INT32, values);
    }
  }
}

// Applies one decoded edit to the open file.
void edit(hid_t file, FuzzedDataProvider& in) {
  const std::string object = kObjects[in.ConsumeIntegralInRange<size_t>(0, kObjects.size() - 1)];
  if (H5Lexists(file, object.c_str(), H5P_DEFAULT) <= 0 && object != "/") return;
  Handle loc(H5Oopen(file, object.c_str(), H5P_DEFAULT), H5Oclose);
  if (loc.get() < 0) return;
  const std::string name = in.ConsumeBool() ? kAttributes[in.ConsumeIntegralInRange<size_t>(0, kAttributes.size() - 1)]
                                            : in.ConsumeRandomLengthString(16);
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      if (H5Aexists(loc, name.c_str()) > 0) H5Adelete(loc, name.c_str());
      break;
    case 1: write_attr(loc, name, in); break;
    case 2:  // delete a member (a group or dataset)
      if (object != "/" && !name.empty() && H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0)
        H5Ldelete(loc, name.c_str(), H5P_DEFAULT);
      else if (object != "/")
        H5Ldelete(file, object.c_str(), H5P_DEFAULT);
      break;
    default: {  // a new dataset of another type and shape in a group
      if (name.empty() || name.find('/') != std::string::npos || name == ".") break;
      if (H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(loc, name.c_str(), H5P_DEFAULT);
      hsize_t dims[2] = {in.ConsumeIntegralInRange<hsize_t>(0, 4), in.ConsumeIntegralInRange<hsize_t>(0, 4)};
      Handle space(H5Screate_simple(in.ConsumeIntegralInRange<int>(1, 2), dims, nullptr), H5Sclose);
      const hid_t type = in.ConsumeBool() ? H5T_IEEE_F32LE : H5T_STD_I64LE;
      Handle ds(H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  forge::h5::quiet_errors();
  const std::string path = (forge::fuzz::scratch_dir() / "edited.h5").string();
  fs::copy_file(base_checkpoint(), path, fs::copy_options::overwrite_existing);
  {
    Handle f(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    if (f.get() < 0) std::abort();
    FuzzedDataProvider in(data, size);
    for (int i = 0; i < 8 && in.remaining_bytes() > 0; ++i) {
      try {
        edit(f, in);
      } catch (const forge::Error&) {  // an edit HDF5 refused (e.g. an empty attribute name)
      }
    }
  }
  forge::fuzz::expect_ok_or_error([&] { forge::recipes::verify_checkpoint(path); });
  forge::fuzz::expect_ok_or_error([&] { forge::recipes::load_checkpoint(path); });
  return 0;
}
