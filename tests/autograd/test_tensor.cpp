// Tensor basics: factories, views sharing storage, dtype conversion, the allocator cache.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "autograd/allocator.h"
#include "autograd/ops.h"
#include "common/philox.h"

namespace forge {
namespace {

TEST(Tensor, FactoriesAndMetadata) {
  Tensor t = Tensor::zeros({2, 3});
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.strides(), (Shape{3, 1}));
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.dtype(), DType::f32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data_ptr()) % 64, 0u);
  for (float v : t.to_float_vector()) EXPECT_EQ(v, 0.0f);
  Tensor f = Tensor::full({4}, 2.5, DType::bf16);
  for (float v : f.to_float_vector()) EXPECT_EQ(v, 2.5f);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor t = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor tt = t.transpose(0, 1);
  EXPECT_TRUE(tt.shares_storage(t));
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.shape(), (Shape{3, 2}));
  EXPECT_EQ(tt.to_float_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  Tensor n = t.narrow(1, 1, 2);
  EXPECT_EQ(n.to_float_vector(), (std::vector<float>{1, 2, 4, 5}));
  Tensor c = tt.contiguous();
  EXPECT_FALSE(c.shares_storage(t));
  EXPECT_EQ(c.to_float_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  Tensor r = t.reshape({3, 2});
  EXPECT_TRUE(r.shares_storage(t));
  Tensor e = Tensor::from_vector(std::vector<float>{1, 2}, {2, 1}).expand({2, 3});
  EXPECT_EQ(e.to_float_vector(), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  Tensor p = Tensor::arange(24, DType::f32).reshape({2, 3, 4}).permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.to_float_vector()[1], 4.0f);
}

TEST(Tensor, ViewErrorsNameShapes) {
  Tensor t = Tensor::zeros({2, 3});
  try {
    t.view({4, 2});
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(4, 2)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.transpose(0, 1).view({6}), Error);
  EXPECT_THROW(t.narrow(1, 2, 2), Error);
}

TEST(Tensor, DtypeConversionRoundTrips) {
  Tensor x = Tensor::from_vector(std::vector<float>{1.0f, -2.5f, 3.140625f, 65504.0f, 1e-7f}, {5});
  EXPECT_EQ(x.to(DType::bf16).to(DType::f32).to_float_vector()[2], 3.140625f);
  EXPECT_EQ(x.to(DType::f16).to(DType::f32).to_float_vector()[3], 65504.0f);
  // 1e-7 is an f16 subnormal: it rounds to 2 units of 2^-24.
  EXPECT_EQ(x.to(DType::f16).to(DType::f32).to_float_vector()[4], 2.0f * std::ldexp(1.0f, -24));
  EXPECT_EQ(x.to(DType::f64).to_double_vector()[1], -2.5);
  EXPECT_EQ(bf16::from_float(1.00390625f), bf16::from_float(1.0f));  // ties to even
}

// f16's conversions (F16C instructions where the build has them) agree with the
// portable IEEE code on every half value, and on floats around every half
// value and halfway point (ties to even, subnormals, overflow to inf).
TEST(Tensor, F16ConversionsMatchThePortableCode) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const float f = f16::to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(f16::to_float_portable(static_cast<uint16_t>(h)))) << h;
      ASSERT_EQ(f16::from_float(f) & 0x7c00u, 0x7c00u) << h;  // still a NaN
      continue;
    }
    ASSERT_EQ(std::bit_cast<uint32_t>(f), std::bit_cast<uint32_t>(f16::to_float_portable(static_cast<uint16_t>(h)))) << h;
    for (float probe : {f, std::nextafter(f, 1e30f), std::nextafter(f, -1e30f),
                        0.5f * (f + f16::to_float(static_cast<uint16_t>(h + 1 < 0x10000u ? h + 1 : h)))}) {
      if (std::isnan(probe)) continue;  // the midpoint of inf and the first NaN
      ASSERT_EQ(f16::from_float(probe), f16::from_float_portable(probe)) << h << " " << probe;
    }
  }
}

TEST(Tensor, RandomInitIsDeterministic) {
  Generator a(42), b(42);
  Tensor x = Tensor::randn({1000}, a);
  Tensor y = Tensor::randn({1000}, b);
  EXPECT_EQ(x.to_float_vector(), y.to_float_vector());
  EXPECT_EQ(a.offset(), b.offset());
  double mean = 0, var = 0;
  for (float v : x.to_float_vector()) mean += v;
  mean /= 1000;
  for (float v : x.to_float_vector()) var += (v - mean) * (v - mean);
  var /= 1000;
  EXPECT_NEAR(mean, 0.0, 0.1);
  EXPECT_NEAR(var, 1.0, 0.15);
  Tensor u = Tensor::uniform({1000}, a, DType::f32, -2, 3);
  for (float v : u.to_float_vector()) {
    EXPECT_GE(v, -2.0f);
    EXPECT_LT(v, 3.0f);
  }
}

TEST(Allocator, RepeatedAllocationsHitTheCache) {
  Allocator& alloc = allocator_for(Device::cpu());
  { Tensor warm = Tensor::empty({123, 457}); }
  const uint64_t before = alloc.stats().system_allocs;
  for (int i = 0; i < 100; ++i) {
    Tensor t = Tensor::empty({123, 457});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data_ptr()) % 64, 0u);
  }
  EXPECT_EQ(alloc.stats().system_allocs, before);
}

}  // namespace
}  // namespace forge
