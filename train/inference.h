// What `forge sample` and `forge eval` need from a checkpoint: the model it
// describes with its weights loaded, and the tokenizer its recipe names.
//
// A checkpoint's /config holds the model config (enough to rebuild the
// TransformerLM) and the resolved recipe text, whose data.tokenizer says how
// the training text was tokenized. The weights in /model must match the
// rebuilt model's parameters exactly: same names, same shapes, nothing left
// over; anything else is a forge::Error naming the tensor.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/checkpoint.h"

namespace forge::nn {
class TransformerLM;
}

namespace forge::recipes {

// A model in eval mode built from contents.model_config with contents.model's
// weights; `origin` names the checkpoint in errors.
std::unique_ptr<nn::TransformerLM> model_from_checkpoint(const CheckpointContents& contents,
                                                         const std::string& origin);

// The recipe's data.tokenizer, or "" when the checkpoint holds no recipe text or
// the recipe names no tokenizer. `origin` names the checkpoint in errors.
std::string tokenizer_of_checkpoint(const CheckpointContents& contents, const std::string& origin);

}  // namespace forge::recipes
