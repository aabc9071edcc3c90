// Evaluation over consecutive token windows (see evaluate.h).
#include "train/evaluate.h"

#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.h"
#include "common/error.h"
#include "data/loader.h"
#include "nn/transformer.h"

namespace forge::recipes {

EvalResult evaluate_shards(const nn::TransformerLM& model, const std::string& shards, int64_t seq_len,
                           int64_t batch_size) {
  const nn::ModelConfig& c = model.config();
  FORGE_CHECK(seq_len >= 1 && seq_len <= c.block_size,
              "evaluation seq_len must be in [1, model block_size " << c.block_size << "], got " << seq_len);
  FORGE_CHECK(batch_size >= 1, "evaluation batch_size must be >= 1, got " << batch_size);
  // Sequential order: row r of step s reads window s*B + r.
  const data::TokenLoader loader(shards, batch_size, seq_len, data::Order::sequential, /*seed=*/0);
  FORGE_CHECK(loader.vocab_size() <= c.vocab_size,
              "the shards at '" << shards << "' were tokenized with a vocabulary of " << loader.vocab_size()
                                << " tokens, larger than the model's vocab_size " << c.vocab_size);
  const int64_t windows = loader.num_windows();

  NoGradGuard no_grad;
  nn::ForwardContext ctx;
  ctx.training = false;
  // Batches are read into host memory; the model may be on another device.
  const auto params = model.parameters();
  const Device device = params.empty() ? Device::cpu() : params.front().device();
  double loss_sum = 0.0;
  int64_t scored = 0;
  for (int64_t step = 0; step * batch_size < windows; ++step) {
    const int64_t rows = std::min(batch_size, windows - step * batch_size);  // the last batch may be partial
    data::Batch b = loader.batch(step, 0);
    Tensor inputs = b.inputs.narrow(0, 0, rows), targets = b.targets.narrow(0, 0, rows).contiguous();
    int64_t n = 0;
    for (int64_t t : targets.to_int_vector()) n += t != -100;
    if (n == 0) continue;
    const double mean =
        nn::TransformerLM::loss(model.forward(inputs.to(device), ctx), targets.to(device)).item();
    loss_sum += mean * static_cast<double>(n);
    scored += n;
  }
  FORGE_CHECK(scored > 0, "the shards at '" << shards << "' have no scored target token in " << windows
                                            << " windows of " << seq_len << " tokens");
  EvalResult r;
  r.tokens = scored;
  r.loss = loss_sum / static_cast<double>(scored);
  r.perplexity = std::exp(r.loss);
  return r;
}

}  // namespace forge::recipes
