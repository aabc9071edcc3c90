// Uses the installed forge library from outside its tree: a tiny GPT-2 takes
// two AdamW steps on one batch of synthetic tokens. Exits 0 when the first loss
// is near ln(vocab_size) (an untrained model's) and the second, on the same
// batch, is finite and lower; prints both.
#include <cmath>
#include <cstdio>
#include <exception>
#include <vector>

#include "autograd/ops.h"
#include "common/runtime.h"
#include "nn/transformer.h"
#include "optim/optimizer.h"

using namespace forge;

int main(int argc, char** argv) {
  runtime::init(argc, argv);
  try {
    const nn::ModelConfig config = nn::preset("gpt2-test");
    nn::TransformerLM model(config, 1);
    optim::ParamGroup group;
    for (const auto& [name, p] : model.named_parameters()) group.names.push_back(name), group.params.push_back(p);
    optim::AdamW opt({group}, optim::AdamWOptions{1e-2, 0.9, 0.95, 1e-8});

    const int64_t batch = 2, seq = 16;
    std::vector<int64_t> ids(static_cast<size_t>(batch * (seq + 1)));
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>((i * 7) % 64);  // a learnable pattern
    const Tensor all = Tensor::from_vector(ids, {batch, seq + 1});
    const Tensor inputs = all.narrow(1, 0, seq).contiguous(), targets = all.narrow(1, 1, seq).contiguous();

    nn::ForwardContext ctx;
    ctx.training = true;
    double losses[2];
    for (double& loss_value : losses) {
      opt.zero_grad();
      Tensor loss = nn::TransformerLM::loss(model.forward(inputs, ctx), targets);
      loss.backward();
      opt.step();
      loss_value = loss.item();
    }
    std::printf("loss %.4f -> %.4f (ln vocab %.4f)\n", losses[0], losses[1], std::log(double(config.vocab_size)));
    const bool untrained = std::fabs(losses[0] - std::log(double(config.vocab_size))) < 1.0;
    const bool learned = std::isfinite(losses[1]) && losses[1] < losses[0];
    if (untrained && learned) return 0;
    std::fprintf(stderr, "train_two_steps: expected a first loss near ln(vocab) and a lower, finite second one\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_two_steps: %s\n", e.what());
    return 1;
  }
}
