// Activation checkpointing: same gradients as the plain graph, far less peak memory.
#include <gtest/gtest.h>

#include "autograd/allocator.h"
#include "autograd/checkpoint.h"
#include "autograd/ops.h"

namespace forge {
namespace {

// A stack of elementwise blocks; each block saves several full-size activations.
struct Stack {
  std::vector<Tensor> weights;
  explicit Stack(int blocks, int64_t width) {
    Generator gen(7);
    for (int i = 0; i < blocks; ++i) {
      weights.push_back(Tensor::randn({width}, gen, DType::f32, 1.0, 0.1));
      weights.back().set_requires_grad(true);
    }
  }
  static Tensor block(const Tensor& x, const Tensor& w) {
    Tensor h = ops::tanh(ops::mul(x, w));
    Tensor g = ops::exp(ops::mul_scalar(h, 0.5));
    return ops::add(ops::mul(h, g), x);
  }
  Tensor forward(const Tensor& x, bool use_checkpoint) {
    Tensor h = x;
    for (const Tensor& w : weights) {
      if (use_checkpoint) {
        h = autograd::checkpoint([w](const std::vector<Tensor>& in) { return std::vector<Tensor>{block(in[0], w)}; },
                                 {h})[0];
      } else {
        h = block(h, w);
      }
    }
    return ops::mean(h);
  }
};

struct RunResult {
  std::vector<std::vector<float>> grads;
  std::vector<float> input_grad;
  size_t peak_extra_bytes;
};

RunResult run(bool use_checkpoint) {
  Stack stack(16, 256);
  Generator gen(3);
  Tensor x = Tensor::randn({128, 256}, gen);
  x.set_requires_grad(true);
  Allocator& alloc = allocator_for(Device::cpu());
  const size_t base = alloc.stats().live_bytes;
  alloc.reset_peak();
  Tensor loss = stack.forward(x, use_checkpoint);
  loss.backward();
  RunResult r;
  r.peak_extra_bytes = alloc.stats().peak_live_bytes - base;
  for (const Tensor& w : stack.weights) r.grads.push_back(w.grad().to_float_vector());
  r.input_grad = x.grad().to_float_vector();
  return r;
}

TEST(Checkpoint, SameGradientsLessMemory) {
  RunResult plain = run(false);
  RunResult ckpt = run(true);
  ASSERT_EQ(plain.grads.size(), ckpt.grads.size());
  for (size_t i = 0; i < plain.grads.size(); ++i) {
    ASSERT_EQ(plain.grads[i].size(), ckpt.grads[i].size());
    for (size_t j = 0; j < plain.grads[i].size(); ++j) EXPECT_FLOAT_EQ(plain.grads[i][j], ckpt.grads[i][j]);
  }
  for (size_t j = 0; j < plain.input_grad.size(); ++j) EXPECT_FLOAT_EQ(plain.input_grad[j], ckpt.input_grad[j]);
  // 16 blocks x ~6 saved (128 x 256) activations without checkpointing, vs the block
  // outputs plus one block's recomputation with it.
  std::printf("peak extra bytes: plain %zu, checkpointed %zu (%.1fx less)\n", plain.peak_extra_bytes,
              ckpt.peak_extra_bytes, double(plain.peak_extra_bytes) / double(ckpt.peak_extra_bytes));
  EXPECT_LT(ckpt.peak_extra_bytes * 2, plain.peak_extra_bytes);
}

TEST(Checkpoint, ReplaysRandomStreams) {
  Generator gen(11);
  Tensor x = Tensor::ones({64, 64});
  x.set_requires_grad(true);
  auto fn = [&gen](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{ops::mul(ops::dropout(in[0], 0.5, gen), in[0])};
  };
  Tensor y = autograd::checkpoint(fn, {x}, {&gen})[0];
  const uint64_t offset_after_forward = gen.offset();
  ops::sum(y).backward();
  EXPECT_EQ(gen.offset(), offset_after_forward);
  // d/dx (mask * x * x) = 2 * mask * x: zero exactly where the forward dropped.
  std::vector<float> out = y.to_float_vector(), g = x.grad().to_float_vector();
  for (size_t i = 0; i < out.size(); ++i) EXPECT_FLOAT_EQ(g[i], 2.0f * out[i]);
}

}  // namespace
}  // namespace forge
