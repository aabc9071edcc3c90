// Where a tensor's storage lives: the CPU, CUDA device N, or the test device.
//
// A device is usable once its kernel table (kernels/backend.h) and allocator
// (autograd/allocator.h) are registered: the CPU's always are, CUDA's when
// forge is built with it. `test` is a second device for the test binary only:
// host memory and CPU kernels under its own id, registered by
// tests/support/test_device.cpp, so that code which quietly assumes the CPU
// fails on a CPU-only machine (docs/devices.md).
#pragma once

#include <cstdint>
#include <string>

namespace forge {

struct Device {
  enum class Type : uint8_t {
    cpu,
    cuda,
    test,   // test-only: registered only by the test binary
    count,  // number of types, not a device
  };
  Type type = Type::cpu;
  int index = 0;

  static Device cpu() { return {Type::cpu, 0}; }
  static Device cuda(int i) { return {Type::cuda, i}; }
  static Device test(int i = 0) { return {Type::test, i}; }
  bool is_cpu() const { return type == Type::cpu; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }

  // "cpu", "cuda", "test".
  const char* type_name() const {
    switch (type) {
      case Type::cpu: return "cpu";
      case Type::cuda: return "cuda";
      case Type::test: return "test";
      default: return "unknown";
    }
  }
  // "cpu", "cuda:1", "test:0".
  std::string str() const { return is_cpu() ? "cpu" : type_name() + (":" + std::to_string(index)); }

  // Why a device with nothing registered for it cannot be used.
  const char* unavailable_reason() const {
    switch (type) {
      case Type::cuda: return "forge was built without CUDA";
      case Type::test: return "the test device exists only in the test binary (tests/support/test_device.h)";
      default: return "no backend for this device type is built in";
    }
  }
};

}  // namespace forge
