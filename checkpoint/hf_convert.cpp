// forge checkpoint <-> Hugging Face model folder conversion (see hf_convert.h).
#include "checkpoint/hf_convert.h"

#include <filesystem>
#include <map>
#include <sstream>

#include "common/error.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;

bool has_extension(const std::string& path, const char* ext) { return fs::path(path).extension() == ext; }

int64_t count_parameters(const NamedTensors& tensors) {
  int64_t n = 0;
  for (const auto& [name, t] : tensors) n += t.numel();
  return n;
}

std::string export_to_hf(const std::string& in, const std::string& out, DType dtype) {
  FORGE_CHECK(!has_extension(out, ".h5"), "'" << in << "' and '" << out << "' are both forge checkpoints; "
                                                             << "OUT must be a folder or a .safetensors file");
  const bool to_file = has_extension(out, ".safetensors");
  const fs::path dir = to_file ? fs::path(out).parent_path() : fs::path(out);
  const fs::path target = to_file ? fs::path(out) : dir / "model.safetensors";
  const CheckpointContents ckpt = load_checkpoint(in, /*with_optimizer=*/false);
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    FORGE_CHECK(!ec, "cannot create output folder '" << dir.string() << "': " << ec.message());
  }
  write_hf_model(target.string(), ckpt.model_config, ckpt.model, dtype);
  std::ostringstream s;
  s << "wrote " << target.string() << " and " << (target.parent_path() / "config.json").string() << " ("
    << nn::family_name(ckpt.model_config.family) << ", " << ckpt.model.size() << " tensors, "
    << count_parameters(ckpt.model) << " parameters in " << dtype_name(dtype) << ", from step " << ckpt.state.step
    << ")";
  return s.str();
}

std::string import_from_hf(const std::string& in, const std::string& out) {
  FORGE_CHECK(has_extension(out, ".h5"), "importing '" << in << "' writes a forge checkpoint; OUT must end "
                                                                      << "in .h5, got '" << out << "'");
  const std::string source = fs::is_directory(in) ? (fs::path(in) / "model.safetensors").string() : in;
  const HfModel hf = read_hf_model(source);
  const CheckpointContents ckpt = checkpoint_from_hf(hf, source);
  save_checkpoint(out, ckpt);
  std::ostringstream s;
  s << "wrote " << out << " (" << nn::family_name(ckpt.model_config.family) << ", " << ckpt.model.size() << " tensors, "
    << count_parameters(ckpt.model) << " parameters, no optimizer state)";
  if (!hf.dropped.empty()) {
    s << "; not kept from " << source << ":";
    for (const std::string& name : hf.dropped) s << " " << name;
  }
  return s.str();
}

}  // namespace

CheckpointContents checkpoint_from_hf(const HfModel& hf, const std::string& origin) {
  const std::string mismatches = parameter_mismatches(hf.config, hf.tensors);
  FORGE_CHECK(mismatches.empty(), "'" << origin << "': the weights do not match its config.json ("
                                      << nn::family_name(hf.config.family) << "):\n" << mismatches);
  std::map<std::string, Tensor> by_name(hf.tensors.begin(), hf.tensors.end());
  CheckpointContents c;
  c.model_config = hf.config;
  for (const auto& [name, shape] : model_parameter_shapes(hf.config)) c.model.push_back({name, by_name.at(name)});
  return c;
}

std::string convert_model(const std::string& in, const std::string& out, DType dtype) {
  if (has_extension(in, ".h5")) return export_to_hf(in, out, dtype);
  if (has_extension(in, ".safetensors") || fs::is_directory(in)) return import_from_hf(in, out);
  FORGE_THROW("cannot tell the direction from '" << in << "': IN must be a forge checkpoint (.h5), a "
                                                                << "Hugging Face model.safetensors, or a folder holding one");
}

}  // namespace forge::recipes
