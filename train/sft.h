// The supervised fine-tuning pieces of a training run (recipe section `sft`):
// which loader reads the data, the chat template a recipe or checkpoint
// names, and growing a pretrained checkpoint's vocabulary to hold the chat
// template's new special tokens.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"
#include "data/chat_template.h"
#include "data/loader.h"
#include "recipes/recipe.h"

namespace forge::recipes {

struct CheckpointContents;

// The train (val = false) or validation data of a recipe for dp rank
// `dp_rank` of `dp`: SftLoader (data/sft_loader.h) when sft.enabled, else the
// pretraining TokenLoader. Validation reads in sequential order on one rank.
std::unique_ptr<data::BatchSource> make_batch_source(const Recipe& recipe, bool val, int dp = 1, int dp_rank = 0);

data::ChatTemplate chat_template_of(const Recipe& recipe);
// The template of the recipe saved in a checkpoint (ChatML when it has none).
data::ChatTemplate chat_template_of_checkpoint(const CheckpointContents& contents, const std::string& origin);

// Grows the token embedding (transformer.wte / model.embed_tokens) and an
// untied lm_head in `weights` to `vocab_size` rows, each new row the mean of
// the existing rows (a new token starts as an "average" token: its embedding
// lies among the others' and its logit tracks theirs). Returns the rows added
// per tensor; throws when the tables disagree in rows, are missing, or have
// more than `vocab_size` rows.
int64_t extend_vocab(std::vector<std::pair<std::string, Tensor>>& weights, int64_t vocab_size);

// What init_from applies to the weights it read before loading them into the
// recipe's model: extend_vocab to model.vocab_size when sft.enabled and
// sft.extend_vocab and the weights' embedding has fewer rows; otherwise
// nothing. Returns the rows added (0 when nothing changed).
int64_t adapt_init_weights(const Recipe& recipe, std::vector<std::pair<std::string, Tensor>>& weights);

}  // namespace forge::recipes
