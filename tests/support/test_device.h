// The test device: a second device for the test binary only (docs/devices.md).
//
// Device::test() tensors live in host memory from their own caching allocator
// and run the CPU kernels through their own kernel table, but carry their own
// device id. A code path that quietly makes a tensor on the default device
// (the CPU) instead of its input's device then meets a test-device tensor in
// some op, and that op fails with both devices named: the mistake shows on a
// CPU-only machine, long before a GPU run. What it cannot catch: host code
// reading a test-device tensor's memory directly (that memory is host memory).
//
// Suites that must hold on every device are parameterised over
// test_devices() and read the current one with current_device().
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "autograd/allocator.h"
#include "common/device.h"

namespace forge {

// GoogleTest prints a Device parameter as "cpu" / "test:0".
inline void PrintTo(const Device& device, std::ostream* os) { *os << device.str(); }

}  // namespace forge

namespace forge::testing {

// Registers the test device's kernel table and allocator (once; later calls do
// nothing). The test binary's main calls it before any test runs.
void register_test_device();

// The test device's allocator (its statistics show what landed on it).
Allocator& test_device_allocator();

// The devices device-parameterised suites run on: cpu and test:0.
std::vector<Device> test_devices();

// "cpu", "test0": a GoogleTest-safe name for a device parameter.
std::string device_test_name(const ::testing::TestParamInfo<Device>& info);

// Base of a suite run once per device: makes GetParam() current_device()
// while each test runs.
class DeviceTest : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override;
  void TearDown() override;
};

// The device of the device-parameterised test now running (cpu outside one).
Device current_device();

}  // namespace forge::testing

// Instantiates a DeviceTest-derived suite over test_devices().
#define FORGE_INSTANTIATE_ON_DEVICES(Suite)                                                         \
  INSTANTIATE_TEST_SUITE_P(Devices, Suite, ::testing::ValuesIn(::forge::testing::test_devices()), \
                           ::forge::testing::device_test_name)
