// The fp16 dynamic loss scaler: backoff on a non-finite step, growth after
// the interval, exact unscaling, option and state validation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "optim/loss_scaler.h"

namespace forge {
namespace {

optim::LossScalerOptions fp16_options(int64_t growth_interval = 3) {
  optim::LossScalerOptions o;
  o.enabled = true;
  o.initial_scale = 1024.0;
  o.growth_interval = growth_interval;
  return o;
}

TEST(LossScaler, BacksOffOnNonFiniteAndGrowsAfterInterval) {
  optim::LossScaler s(fp16_options(3));
  EXPECT_EQ(s.scale(), 1024.0);
  EXPECT_TRUE(s.update(1.0));
  EXPECT_TRUE(s.update(2.0));
  EXPECT_EQ(s.scale(), 1024.0);
  EXPECT_TRUE(s.update(3.0));  // third good step in a row: grows
  EXPECT_EQ(s.scale(), 2048.0);
  EXPECT_FALSE(s.update(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(s.scale(), 1024.0);
  EXPECT_FALSE(s.update(std::nan("")));
  EXPECT_EQ(s.scale(), 512.0);
  EXPECT_EQ(s.skipped_steps(), 2);
  // The interval restarts after a skip: two good steps do not grow it, the third does.
  EXPECT_TRUE(s.update(1.0));
  EXPECT_TRUE(s.update(1.0));
  EXPECT_EQ(s.scale(), 512.0);
  EXPECT_TRUE(s.update(1.0));
  EXPECT_EQ(s.scale(), 1024.0);
  EXPECT_EQ(s.state().good_steps, 0);
}

TEST(LossScaler, NeverBacksOffBelowMinScale) {
  auto o = fp16_options();
  o.initial_scale = 2.0;
  optim::LossScaler s(o);
  EXPECT_FALSE(s.update(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(s.update(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(s.scale(), 1.0);
}

TEST(LossScaler, DisabledKeepsScaleOneButStillReportsSkips) {
  optim::LossScaler s(optim::LossScalerOptions{});
  EXPECT_EQ(s.scale(), 1.0);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(s.update(1.0));
  EXPECT_EQ(s.scale(), 1.0);
  EXPECT_FALSE(s.update(std::nan("")));
  EXPECT_EQ(s.scale(), 1.0);
  EXPECT_EQ(s.skipped_steps(), 1);
}

TEST(LossScaler, UnscaleIsExactForPowerOfTwoScales) {
  optim::LossScaler s(fp16_options());
  const std::vector<float> values = {3.0f, -1.0e-3f, 0.1f, 65504.0f};
  std::vector<float> scaled;
  for (float v : values) scaled.push_back(v * 1024.0f);
  Tensor g = Tensor::from_vector(scaled, {4});
  s.unscale({g, Tensor()});
  EXPECT_EQ(g.to_float_vector(), values);
}

TEST(LossScaler, RejectsBadOptionsAndState) {
  auto bad = fp16_options();
  bad.backoff_factor = 1.0;
  EXPECT_THROW({ optim::LossScaler s(bad); }, Error);
  bad = fp16_options();
  bad.growth_interval = 0;
  EXPECT_THROW({ optim::LossScaler s(bad); }, Error);
  bad = fp16_options();
  bad.initial_scale = -1.0;
  EXPECT_THROW({ optim::LossScaler s(bad); }, Error);
  optim::LossScaler s(fp16_options());
  EXPECT_THROW(s.set_state({0.0, 0, 0}), Error);
  EXPECT_THROW(s.set_state({8.0, -1, 0}), Error);
  s.set_state({8.0, 2, 5});
  EXPECT_EQ(s.scale(), 8.0);
  EXPECT_EQ(s.skipped_steps(), 5);
  // A disabled scaler (bf16/fp32 run resumed from an fp16 checkpoint) keeps the counts, not the scale.
  optim::LossScaler off(optim::LossScalerOptions{});
  off.set_state({8.0, 2, 5});
  EXPECT_EQ(off.scale(), 1.0);
  EXPECT_EQ(off.skipped_steps(), 5);
}

}  // namespace
}  // namespace forge
