// AdamW, SGD, clipping and schedules against straightforward double-precision
// references; the optimizers on every device (tests/support/test_device.h).
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "tests/support/test_device.h"

namespace forge {
namespace {

using testing::current_device;

// A tensor on the device of the running test.
Tensor on_device(const Tensor& t) { return t.to(current_device()); }

class AdamW : public testing::DeviceTest {};
class SGD : public testing::DeviceTest {};
class ClipGradNorm : public testing::DeviceTest {};
FORGE_INSTANTIATE_ON_DEVICES(AdamW);
FORGE_INSTANTIATE_ON_DEVICES(SGD);
FORGE_INSTANTIATE_ON_DEVICES(ClipGradNorm);

TEST_P(AdamW, MatchesReferenceOverSteps) {
  std::vector<float> p0 = {0.5f, -1.0f, 2.0f, 0.0f};
  Tensor p = on_device(Tensor::from_vector(p0, {4}));
  p.set_requires_grad(true);
  optim::AdamW opt({{{"w"}, {p}, 0.1}}, {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8});
  std::vector<double> ref(p0.begin(), p0.end()), m(4, 0), v(4, 0);
  for (int step = 1; step <= 5; ++step) {
    std::vector<float> g = {0.1f * step, -0.2f, 0.3f / step, 0.0f};
    p.set_grad(on_device(Tensor::from_vector(g, {4})));
    opt.step();
    for (int i = 0; i < 4; ++i) {
      ref[i] *= 1.0 - 0.01 * 0.1;
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.95 * v[i] + 0.05 * double(g[i]) * g[i];
      const double mh = m[i] / (1 - std::pow(0.9, step)), vh = v[i] / (1 - std::pow(0.95, step));
      ref[i] -= 0.01 * mh / (std::sqrt(vh) + 1e-8);
    }
  }
  std::vector<float> got = p.to_float_vector();
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(got[i], ref[i], 1e-6) << i;
  EXPECT_EQ(opt.step_count(), 5);
  EXPECT_EQ(opt.state().count("w/exp_avg"), 1u);
  EXPECT_EQ(opt.state().count("w/exp_avg_sq"), 1u);
  EXPECT_EQ(opt.state().at("w/exp_avg").device(), current_device()) << "optimizer state off the parameter's device";
}

TEST_P(AdamW, SkipsParametersWithoutGradAndRejectsNonF32) {
  Tensor a = Tensor::ones({3}, DType::f32, current_device());
  a.set_requires_grad(true);
  optim::AdamW opt({{{"a"}, {a}, 0.0}}, {});
  opt.step();
  EXPECT_EQ(a.to_float_vector(), (std::vector<float>{1, 1, 1}));
  Tensor h = Tensor::ones({3}, DType::bf16, current_device());
  EXPECT_THROW(optim::AdamW({{{"h"}, {h}, 0.0}}, {}), Error);
}

TEST_P(SGD, MomentumMatchesReference) {
  Tensor p = on_device(Tensor::from_vector(std::vector<float>{1.0f}, {1}));
  p.set_requires_grad(true);
  optim::SGD opt({{{"p"}, {p}, 0.0}}, {.lr = 0.1, .momentum = 0.9});
  double ref = 1.0, buf = 0.0;
  for (int i = 0; i < 3; ++i) {
    p.set_grad(on_device(Tensor::from_vector(std::vector<float>{0.5f}, {1})));
    opt.step();
    buf = 0.9 * buf + 0.5;
    ref -= 0.1 * buf;
  }
  EXPECT_NEAR(p.item(), ref, 1e-6);
}

TEST_P(ClipGradNorm, ScalesToMaxNormAndReportsTheOriginal) {
  Tensor a = Tensor::zeros({2}, DType::f32, current_device()), b = Tensor::zeros({1}, DType::f32, current_device());
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  a.set_grad(on_device(Tensor::from_vector(std::vector<float>{3.0f, 0.0f}, {2})));
  b.set_grad(on_device(Tensor::from_vector(std::vector<float>{4.0f}, {1})));
  EXPECT_NEAR(optim::clip_grad_norm({a, b}, 1.0), 5.0, 1e-9);
  EXPECT_NEAR(a.grad().to_float_vector()[0], 0.6, 1e-5);
  EXPECT_NEAR(b.grad().to_float_vector()[0], 0.8, 1e-5);
  EXPECT_NEAR(optim::clip_grad_norm({a, b}, 10.0), 1.0, 1e-5);  // under the bound: unchanged
  EXPECT_NEAR(b.grad().to_float_vector()[0], 0.8, 1e-5);
}

TEST(Schedule, WarmupCosineLinearWsdConstant) {
  optim::ScheduleOptions o{.lr = 1.0, .min_lr = 0.1, .warmup_steps = 10, .total_steps = 110, .decay_steps = 20};
  auto cosine = optim::make_schedule("cosine", o);
  EXPECT_NEAR(cosine(0), 0.1, 1e-12);
  EXPECT_NEAR(cosine(9), 1.0, 1e-12);
  EXPECT_NEAR(cosine(10), 1.0, 1e-12);
  EXPECT_NEAR(cosine(60), 0.55, 1e-12);
  EXPECT_NEAR(cosine(110), 0.1, 1e-12);
  auto linear = optim::make_schedule("linear", o);
  EXPECT_NEAR(linear(60), 0.55, 1e-12);
  auto wsd = optim::make_schedule("wsd", o);
  EXPECT_NEAR(wsd(89), 1.0, 1e-12);
  EXPECT_NEAR(wsd(100), 0.55, 1e-12);
  EXPECT_NEAR(optim::make_schedule("constant", o)(50), 1.0, 1e-12);
  try {
    optim::make_schedule("cosin", o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cosin"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cosine"), std::string::npos);
  }
}

}  // namespace
}  // namespace forge
