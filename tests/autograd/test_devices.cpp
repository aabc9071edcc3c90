// The device seam (docs/devices.md): the kernel-table and allocator registries,
// Tensor::to, device checks naming the op and both devices, and implicit
// gradients made on the tensor's own device. The second device is the test
// device (tests/support/test_device.h).
#include <gtest/gtest.h>

#include <string>

#include "autograd/allocator.h"
#include "autograd/engine.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "kernels/backend.h"

namespace forge {
namespace {

const Device kTest = Device::test();

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Tensor values(std::vector<float> v, Device device) {
  return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}).to(device);
}

TEST(Devices, EachDeviceHasItsKernelTableAndAllocator) {
  EXPECT_STREQ(kernels::kernels_for(Device::cpu()).name, "cpu");
  EXPECT_TRUE(contains(kernels::kernels_for(kTest).name, "test"));
  EXPECT_NE(&allocator_for(Device::cpu()), &allocator_for(kTest));
  // The test device runs the CPU's kernels, through its own table.
  EXPECT_EQ(kernels::kernels_for(kTest).matmul.gemm, kernels::kernels_for(Device::cpu()).matmul.gemm);
}

TEST(Devices, UnregisteredDeviceErrorNamesTheDevice) {
  if (kernels::has_kernels(Device::Type::cuda)) GTEST_SKIP() << "this build has CUDA kernels";
  const std::string k = error_of([] { kernels::kernels_for(Device::cuda(0)); });
  EXPECT_TRUE(contains(k, "no kernels for device cuda:0") && contains(k, "built without CUDA")) << k;
  const std::string a = error_of([] { Tensor::zeros({2}, DType::f32, Device::cuda(1)); });
  EXPECT_TRUE(contains(a, "cuda:1") && contains(a, "built without CUDA")) << a;
}

TEST(Devices, RegistrationsAreOncePerDeviceTypeAndComplete) {
  const std::string dup = error_of([] { kernels::register_kernels(Device::Type::cpu, kernels::cpu::kernel_table()); });
  EXPECT_TRUE(contains(dup, "already") && contains(dup, "cpu")) << dup;
  const std::string dup_alloc = error_of([] { register_allocator(Device::Type::test, allocator_for(kTest)); });
  EXPECT_TRUE(contains(dup_alloc, "already") && contains(dup_alloc, "test")) << dup_alloc;
  // A table with a missing entry is refused (it would crash at that kernel's first call).
  static kernels::KernelTable partial = kernels::cpu::kernel_table();
  partial.name = "partial";
  partial.softmax.backward = nullptr;
  const std::string unset = error_of([] { kernels::register_kernels(Device::Type::cuda, partial); });
  EXPECT_TRUE(contains(unset, "unset")) << unset;
}

TEST(Devices, OpsOnTwoDevicesNameTheOpAndBothDevices) {
  Tensor a = values({1, 2, 3}, Device::cpu()), b = values({4, 5, 6}, kTest);
  for (const auto& [op, fn] : std::vector<std::pair<std::string, std::function<void()>>>{
           {"add", [&] { ops::add(a, b); }},
           {"matmul", [&] { ops::matmul(a.reshape({1, 3}), b.reshape({3, 1})); }},
           {"linear", [&] { ops::linear(a.reshape({1, 3}), b.reshape({1, 3})); }},
           {"layer_norm", [&] { ops::layer_norm(a.reshape({1, 3}), b, Tensor(), 1e-5); }},
           {"concat", [&] { ops::concat({a, b}, 0); }},
           {"copy_", [&] { ops::copy_(a, b); }},
       }) {
    const std::string e = error_of(fn);
    EXPECT_TRUE(contains(e, op) && contains(e, "cpu") && contains(e, "test:0")) << op << ": " << e;
  }
  Tensor logits = values({0.1f, 0.2f}, kTest).reshape({1, 2});
  Tensor targets = Tensor::from_vector(std::vector<int64_t>{1}, {1});
  const std::string ce = error_of([&] { ops::cross_entropy(logits, targets); });
  EXPECT_TRUE(contains(ce, "cross_entropy") && contains(ce, "cpu") && contains(ce, "test:0")) << ce;
  const std::string sg = error_of([&] { Tensor p = values({1}, kTest); p.set_grad(values({1}, Device::cpu())); });
  EXPECT_TRUE(contains(sg, "set_grad") && contains(sg, "cpu") && contains(sg, "test:0")) << sg;
}

TEST(Devices, ToCopiesValuesAndSendsTheGradientBack) {
  Tensor x = values({1, -2, 3}, Device::cpu()).set_requires_grad(true);
  Tensor y = x.to(kTest);
  EXPECT_EQ(y.device(), kTest);
  EXPECT_FALSE(y.shares_storage(x));
  EXPECT_EQ(y.to_float_vector(), (std::vector<float>{1, -2, 3}));
  EXPECT_TRUE(y.to(kTest).shares_storage(y)) << "to() the device it is on must not copy";
  // A strided view moves as its logical values.
  Tensor m = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).transpose(0, 1).to(kTest);
  EXPECT_EQ(m.to_float_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  ops::sum(ops::mul(y, y)).backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().device(), Device::cpu());
  EXPECT_EQ(x.grad().to_float_vector(), (std::vector<float>{2, -4, 6}));
}

TEST(Devices, ImplicitGradientsAreMadeOnTheTensorsDevice) {
  // split has one node for all pieces: the piece that gets no gradient is
  // zero-filled by the engine, and the backward seed is ones; both must be on
  // the test device or the concat in split's backward fails.
  Tensor x = values({1, 2, 3}, kTest).set_requires_grad(true);
  std::vector<Tensor> parts = ops::split(x, {1, 2}, 0);
  ops::sum(ops::mul_scalar(parts[1], 3.0)).backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().device(), kTest);
  EXPECT_EQ(x.grad().to_float_vector(), (std::vector<float>{0, 3, 3}));
  x.zero_grad();
  EXPECT_EQ(x.grad().device(), kTest);
}

TEST(Devices, BackwardReturningAGradientOnAnotherDeviceIsCaught) {
  Tensor x = values({1, 2}, kTest).set_requires_grad(true);
  Tensor out = Tensor::zeros({2}, DType::f32, kTest);
  record("cpu_minded_op", {x}, out, [](const std::vector<Tensor>&) {
    return std::vector<Tensor>{Tensor::ones({2})};  // quietly on the CPU
  });
  const std::string e = error_of([&] { ops::sum(out).backward(); });
  EXPECT_TRUE(contains(e, "cpu_minded_op") && contains(e, "on cpu") && contains(e, "test:0")) << e;
}

TEST(Devices, EachDeviceAllocatesFromItsOwnAllocator) {
  Allocator& cpu = allocator_for(Device::cpu());
  Allocator& test = allocator_for(kTest);
  const size_t cpu_before = cpu.stats().live_bytes, test_before = test.stats().live_bytes;
  {
    Tensor t = Tensor::zeros({1000}, DType::f32, kTest);
    EXPECT_GE(test.stats().live_bytes, test_before + 4000);
    EXPECT_EQ(cpu.stats().live_bytes, cpu_before);
  }
  EXPECT_EQ(test.stats().live_bytes, test_before);
  // Steady state: the same sizes again are served from the test device's cache.
  for (int i = 0; i < 2; ++i) Tensor::zeros({777}, DType::f32, kTest);
  const uint64_t sys = test.stats().system_allocs;
  for (int i = 0; i < 5; ++i) Tensor::zeros({777}, DType::f32, kTest);
  EXPECT_EQ(test.stats().system_allocs, sys);
}

}  // namespace
}  // namespace forge
