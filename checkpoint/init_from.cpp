// Reading named weights by file type and copying them into a model (see init_from.h).
#include "checkpoint/init_from.h"

#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "autograd/grad_mode.h"
#include "nn/module.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/hf_model.h"

namespace forge::recipes {
namespace {

using WeightReader = std::function<NamedWeights(const std::string& path)>;

// File extension -> reader.
const std::map<std::string, WeightReader>& weight_readers() {
  static const std::map<std::string, WeightReader> readers = {
      {".h5", [](const std::string& path) { return load_checkpoint(path, /*with_optimizer=*/false).model; }},
      // Hugging Face model.safetensors (+ config.json): mapped to forge's names and layout.
      {".safetensors", [](const std::string& path) { return read_hf_model(path).tensors; }},
  };
  return readers;
}

}  // namespace

NamedWeights read_weights(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  const auto& readers = weight_readers();
  auto it = readers.find(ext);
  if (it == readers.end()) {
    std::ostringstream known;
    for (const auto& [e, reader] : readers) known << (known.tellp() > 0 ? ", " : "") << e;
    FORGE_THROW("cannot read weights from '" << path << "': unknown file type '" << ext << "' (known: " << known.str() << ")");
  }
  return it->second(path);
}

InitFromReport apply_weights(nn::Module& module, const NamedWeights& weights, bool strict, const std::string& origin) {
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : weights) by_name.emplace(name, &t);
  const auto params = module.named_parameters();
  std::set<std::string> model_names;
  std::vector<std::string> shape_errors, missing, extra;
  for (const auto& [name, p] : params) {
    model_names.insert(name);
    auto it = by_name.find(name);
    if (it == by_name.end())
      missing.push_back(name + ": not in the checkpoint (model " + shape_str(p.shape()) + ")");
    else if (it->second->shape() != p.shape())
      shape_errors.push_back(name + ": checkpoint " + shape_str(it->second->shape()) + ", model " + shape_str(p.shape()));
  }
  for (const auto& [name, t] : weights)
    if (!model_names.count(name)) extra.push_back(name + ": not in the model (checkpoint " + shape_str(t.shape()) + ")");

  const bool names_differ = !missing.empty() || !extra.empty();
  if (!shape_errors.empty() || (strict && names_differ)) {
    std::ostringstream os;
    os << "'" << origin << "' does not match the model:";
    for (const auto* list : {&shape_errors, &missing, &extra})
      for (const std::string& line : *list) os << "\n  " << line;
    if (shape_errors.empty()) os << "\n(in a recipe, init_from.strict=false loads the matching names and skips these)";
    FORGE_THROW(os.str());
  }

  InitFromReport report;
  NoGradGuard no_grad;
  for (const auto& [name, p] : params) {
    auto it = by_name.find(name);
    if (it == by_name.end()) continue;
    const Tensor& src = *it->second;
    FORGE_CHECK(src.dtype() == DType::f32 && p.dtype() == DType::f32 && p.is_contiguous() && p.device().is_cpu(),
                "'" << origin << "': '" << name << "' must be f32 (got " << src.str() << " into " << p.str() << ")");
    const Tensor c = src.is_contiguous() ? src : src.contiguous();
    std::memcpy(p.data_ptr(), c.data_ptr(), p.nbytes());
    report.loaded.push_back(name);
  }
  report.skipped = missing;
  report.skipped.insert(report.skipped.end(), extra.begin(), extra.end());
  return report;
}

}  // namespace forge::recipes
