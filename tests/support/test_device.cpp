// Registration of the test device and the device-parameterised test base
// (see test_device.h).
#include "tests/support/test_device.h"

#include <mutex>

#include "kernels/backend.h"

namespace forge::testing {
namespace {

Device current = Device::cpu();

}  // namespace

Allocator& test_device_allocator() {
  static CachingHostAllocator* allocator = new CachingHostAllocator("test:0");  // outlives every tensor
  return *allocator;
}

void register_test_device() {
  static std::once_flag once;
  std::call_once(once, [] {
    // The CPU's kernels under another name: host memory on both sides.
    static kernels::KernelTable table = kernels::cpu::kernel_table();
    table.name = "test (CPU kernels)";
    kernels::register_kernels(Device::Type::test, table);
    register_allocator(Device::Type::test, test_device_allocator());
  });
}

std::vector<Device> test_devices() { return {Device::cpu(), Device::test()}; }

std::string device_test_name(const ::testing::TestParamInfo<Device>& info) {
  return info.param.is_cpu() ? "cpu" : std::string(info.param.type_name()) + std::to_string(info.param.index);
}

void DeviceTest::SetUp() { current = GetParam(); }
void DeviceTest::TearDown() { current = Device::cpu(); }

Device current_device() { return current; }

}  // namespace forge::testing
