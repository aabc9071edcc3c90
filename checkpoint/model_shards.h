// Whole tensors from a model spread over a dp × tp × pp layout, and back:
// what makes checkpoints layout-independent (docs/distributed.md).
//
// A rank's model holds its pipeline stage's parameters, each either whole or
// a tensor-parallel piece (nn::ShardSpec). Checkpoints store every parameter
// and its optimizer state whole, under its Hugging Face name, in the
// single-process order:
//   gather_whole_model  (collective) the tp ranks of data-parallel replica 0
//                       all-gather their pieces; each later pipeline stage's
//                       first rank sends its whole tensors (names, shapes and
//                       values) to world rank 0, which lays them out after
//                       stage 0's. Duplicates (GPT-2's tied embedding on the
//                       last stage) are left out.
//   localize            (local) every rank keeps, from whole tensors read from
//                       a checkpoint, its stage's names and its piece of each,
//                       so a run resumes under any layout.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"
#include "distributed/layout.h"

namespace forge::nn {
class Module;
}

namespace forge::recipes {

struct WholeModel {
  std::vector<std::pair<std::string, Tensor>> params;  // single-process order
  std::map<std::string, Tensor> optimizer_state;       // "<param name>/<state name>"
};

// The whole model and optimizer state on world rank 0 (empty elsewhere).
// `state`: this rank's optimizer state by "<param name>/<state name>", whole
// over the data-parallel ranks (after Optimizer::gather_state()), pieces over
// tensor parallelism like the parameters. Collective over the world.
WholeModel gather_whole_model(const distributed::Layout& layout, const nn::Module& model,
                              const std::map<std::string, Tensor>& state);

// Replaces whole tensors by this rank's pieces of them: `weights` keeps (in
// its order) the entries that are parameters of `model`, cut to their
// ShardSpec; when the model is partitioned, entries of other pipeline stages
// are dropped. `state` (optional) is cut the same way by its parameter name.
// Tensors whose shape is not the whole shape are left as they are, so the
// caller's shape check reports them.
void localize(const nn::Module& model, bool partitioned, std::vector<std::pair<std::string, Tensor>>& weights,
              std::map<std::string, Tensor>* state);

}  // namespace forge::recipes
