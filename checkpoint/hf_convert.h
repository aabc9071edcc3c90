// `forge convert`: forge checkpoints (step_<N>.h5) <-> Hugging Face model
// folders (model.safetensors + config.json), the direction chosen by the file
// names (docs/interop.md).
#pragma once

#include <string>

#include "checkpoint/checkpoint.h"
#include "checkpoint/hf_model.h"

namespace forge::recipes {

// A forge checkpoint of `hf`'s weights and config: step 0, no optimizer state,
// no recipe text. The weights must be exactly the config's parameters (else a
// forge::Error listing every offending name with both shapes; `origin` names
// the file); they are put in model order.
CheckpointContents checkpoint_from_hf(const HfModel& hf, const std::string& origin);

// Converts IN to OUT and returns a one-line summary of what was written:
//   CKPT.h5 -> DIR[/] or DIR/model.safetensors   (writes model.safetensors + config.json,
//                                                 weights in `dtype`: f32, bf16 or f16)
//   MODEL.safetensors or a folder holding one -> OUT.h5   (config.json next to the safetensors)
// Any other pair of names is a forge::Error saying what is accepted.
// Importing ignores `dtype` (forge checkpoints are fp32).
std::string convert_model(const std::string& in, const std::string& out, DType dtype = DType::f32);

}  // namespace forge::recipes
