// `init_from`: starting a run from another model's weights (fine-tuning,
// continued pretraining). Only weights move; the optimizer, step count, data
// position and RNG start fresh (unlike `resume`, see checkpoint.h).
//
// read_weights() reads name -> fp32 tensor from a file, the reader chosen by the
// file's extension from a table (`.h5`: a forge checkpoint's /model;
// `.safetensors`: a Hugging Face model, checkpoint/hf_model.h). apply_weights()
// copies them into a model by name: with strict matching every model parameter
// must be present with its shape and nothing else may be in the file; without
// it, names missing on either side are skipped and reported. Shape mismatches
// are errors either way. Errors list every offending name with both shapes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"

namespace forge::nn {
class Module;
}

namespace forge::recipes {

using NamedWeights = std::vector<std::pair<std::string, Tensor>>;

// The weights stored in `path`, in file order. An unknown extension is an error
// listing the known ones.
NamedWeights read_weights(const std::string& path);

struct InitFromReport {
  std::vector<std::string> loaded;
  std::vector<std::string> skipped;  // "name: not in the checkpoint (model (64, 32))" / "name: not in the model (...)"
};

// Copies `weights` into `module`'s parameters by name (see the file comment).
// `origin` names the source in messages (e.g. the path).
InitFromReport apply_weights(nn::Module& module, const NamedWeights& weights, bool strict, const std::string& origin);

}  // namespace forge::recipes
